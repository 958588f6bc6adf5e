"""ObjectMeta: the ``metadata`` every Kubernetes object may carry, and what t32sim does with it.

Only ``name`` (and on a pod template ``labels`` and some ``annotations``) is simulated; every
other ObjectMeta field is accepted and noted, as the API server accepts it. Fields the server
sets itself (``creationTimestamp``, ``uid`` ...) appear in what ``kubectl get -o yaml`` and
``kubectl create --dry-run=client -o yaml`` print, often as ``null``.
"""
from __future__ import annotations

_SERVER_SET = ("uid", "resourceVersion", "generation", "creationTimestamp", "selfLink",
               "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds")

#: the ObjectMeta fields besides ``name`` and why t32sim does not simulate them
METADATA_UNSIMULATED = {
    "namespace": "t32sim has one namespace", "labels": "the object's own labels",
    "annotations": "annotations", "generateName": "generated names",
    **{key: "server-set fields" for key in _SERVER_SET},
    "ownerReferences": "owner references", "finalizers": "finalizers",
}

#: a pod template's ObjectMeta besides ``labels`` and ``annotations`` (which are read)
TEMPLATE_METADATA_UNSIMULATED = {
    **{key: why for key, why in METADATA_UNSIMULATED.items()
       if key not in ("labels", "annotations")},
    "name": "pods are named after their ReplicaSet",
    "generateName": "pods are named after their ReplicaSet",
}
