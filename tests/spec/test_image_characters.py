"""spec.image refuses control, invisible and bidirectional-text characters, and markup: an
image name is shown on the dashboard, in events and in the audit, and must read as it is."""
from __future__ import annotations

import pytest

import t32sim as t3


def spec(image: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
            "spec": {"image": image}}


@pytest.mark.parametrize("image, why", [
    ("local://demo@v1\x00", "a control or invisible character U+0000"),
    ("local://demo@v1\u202e1v", "a bidirectional-text control character U+202E"),
    ("local://\u2066demo@v1", "a bidirectional-text control character U+2066"),
    ("local://demo\u200b@v1", "a control or invisible character U+200B"),
    ("local://demo@v1\n", "a control or invisible character U+000A"),
])
def test_invisible_and_bidi_characters_are_refused_by_name(image, why):
    with pytest.raises(t3.SpecError) as caught:
        t3.load_spec(spec(image))
    [(path, message)] = caught.value.errors
    assert path == "spec.image"
    assert message.endswith(f"; it contains {why}")
    assert "\u202e" not in message and "\x00" not in message     # the message reads as it is


@pytest.mark.parametrize("image", ["<b>v1</b>", "local://demo@v1\"onload=x", "demo v1", "",
                                   "-local", "a" * 513])
def test_markup_spaces_and_odd_shapes_are_refused(image):
    with pytest.raises(t3.SpecError) as caught:
        t3.load_spec(spec(image))
    assert caught.value.errors[0][0] == "spec.image"


@pytest.mark.parametrize("image", ["local://demo@v1", "registry.example:5000/team/api:1.2.3",
                                   "nginx@sha256:0123abcd", "x", "ghcr.io/a_b/c-d+e~f%20"])
def test_real_references_still_load(image):
    assert t3.load_spec(spec(image)).image == image
