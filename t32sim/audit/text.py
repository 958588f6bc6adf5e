"""Audit text as one safe, visible line: control and format characters escaped, bounded."""
from __future__ import annotations

import unicodedata

__all__ = ["neutralise", "FIELD_LIMITS"]

FIELD_LIMITS = {"who": 128, "source": 128, "action": 64, "target": 256,
                "detail": 2000, "result": 32}


def neutralise(value: object, limit: int = 2000) -> str:
    """``value`` as one safe line: control/format characters escaped, cut to ``limit``."""
    text = "" if value is None else str(value)
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    safe = "".join(out)
    if len(safe) > limit:
        safe = safe[: max(0, limit - 1)] + "…"
    return safe
