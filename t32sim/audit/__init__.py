"""A tamper-evident audit log in SQLite, shared by the failover monitor and the live server.

Every row says who did what, when (wall time, UTC), from where (source
address), to which target, with which detail and result. Rows are written in
WAL mode inside ``BEGIN IMMEDIATE`` transactions, so many threads and
processes can record at once without "database is locked" errors and
without two rows ever getting the same place in the chain.

Text is neutralised before it is stored: CR, LF, TAB, other control
characters, Unicode format characters (bidi overrides, zero-width) and line
separators become visible escapes such as ``\\n`` or ``\\u202e`` (a backslash
becomes ``\\\\``), so a user name or detail cannot forge extra log lines or hide
text. Fields are cut to a bounded length.

**The chain.** Each row stores ``mac = HMAC-SHA256(key, id, time, who, source,
action, target, detail, result, prev_mac)`` where ``prev_mac`` is the previous
row's ``mac`` (64 zeros for row 1). :meth:`AuditLog.verify` walks the rows in
order and reports the first one whose id, link or mac does not check out:

- an **edited** row fails its own mac;
- a **deleted** row leaves a gap in the ids and breaks the next row's link;
- rows **renumbered** to hide a gap fail their macs (the id is signed);
- rows **inserted** or **reordered** break links and macs.

**The keyed head.** A chain alone cannot show that its newest rows were deleted: a
shorter chain is still a valid chain. So every write also updates one row of the table
``audit_head`` in the same transaction: the newest row's id and mac, signed with the same
key. :meth:`AuditLog.verify` checks that the chain ends exactly where the head says:

- the **newest rows deleted** (or every row): the head names a row that is gone;
- the **head edited** to match the shorter chain: its own mac fails (the key is needed);
- the **head deleted** too: reported as missing; the next writer that opens the log
  anchors it again and says so in an ``audit.anchor`` row with result ``error``.

**What a chain cannot catch** even with its head:

- **A rollback to an old copy** of the whole file (or of the head row with the rows it
  names): it is a valid older log. Only an anchor kept elsewhere helps: note
  :meth:`AuditLog.head` (``t32sim audit show --head``) somewhere the attacker cannot write
  and pass it to ``verify(anchor=...)`` (``t32sim audit verify --anchor ID:MAC``).
- **Someone who holds the key** can rewrite the whole chain and its head. The default key
  file lives next to the database, so anyone who can read both can forge rows; keep
  ``T32SIM_AUDIT_KEY`` in a secret store, or the key file under another owner, to
  separate the two.
- **Events never recorded** (a crash before the write) and **false
  statements** (a wrong clock, a spoofed source address behind a proxy)
  are not tampering: the chain only proves the rows were not changed after
  they were written.
"""
from t32sim.audit.keys import KEY_ENV, AuditKeyError, default_key_path, load_key
from t32sim.audit.log import COLUMNS, GENESIS, AuditLog, AuditResult, AuditRow, VerifyReport
from t32sim.audit.text import FIELD_LIMITS, neutralise

__all__ = [
    "AuditLog", "AuditRow", "AuditResult", "VerifyReport", "AuditKeyError",
    "neutralise", "load_key", "default_key_path", "KEY_ENV", "GENESIS", "COLUMNS", "FIELD_LIMITS",
]
