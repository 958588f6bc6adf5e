"""Chapter 08 · securing the monitor: exercises and quiz.

The answers are facts about the real monitor (``t32sim.monitor``) and the real audit log
(``t32sim.audit``). The tables below say what those do; ``tests/lab/chapters/test_ch08.py``
sends every request to a real monitor app and tampers with real audit logs, so a table that
stops telling the truth fails the tests.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from t32sim.lab.chapters._compare import compare_predictions
from t32sim.lab.exercise import choice, exercise, right, wrong

#: The monitor of the chapter listens on this origin.
OWN_ORIGIN = "http://127.0.0.1:8000"
CROSS = "https://funny-cats.example"

#: 08.1: five requests, each sent with the admin's cached Basic credentials.
#: letter -> (what it is, method, path, headers, body, the monitor's status)
ATTACKS: dict[str, tuple[str, str, str, dict[str, str], bytes | None, int]] = {
    "a": ("the original's chaos link, followed by an <img> or <a> on another site",
          "GET", "/api/chaos/corruption", {}, None, 405),
    "b": ("a hidden form on another site, submitted by its script (the browser labels it)",
          "POST", "/api/failover", {"Sec-Fetch-Site": "cross-site", "Origin": CROSS,
                                    "Content-Type": "application/x-www-form-urlencoded"},
          b"to=v3", 403),
    "c": ("the same form in an older browser that sends no Sec-Fetch-Site",
          "POST", "/api/failover", {"Origin": CROSS,
                                    "Content-Type": "application/x-www-form-urlencoded"},
          b"to=v3", 403),
    "d": ("curl on the teacher's laptop posting the form encoding (no Origin, no Sec-Fetch-Site)",
          "POST", "/api/failover", {"Content-Type": "application/x-www-form-urlencoded"},
          b"to=v3", 415),
    "e": ("the dashboard's own button: same origin, a JSON body",
          "POST", "/api/failover", {"Sec-Fetch-Site": "same-origin", "Origin": OWN_ORIGIN,
                                    "Content-Type": "application/json"}, b'{"to": "v3"}', 200),
}


@exercise("08.1", "Predict the monitor's HTTP status for each of the requests a-e "
                  "(a dict letter -> status code) before you replay them.", accepts=dict)
def predict_the_statuses(answer: Mapping[str, Any]) -> Any:
    return compare_predictions(
        answer, {letter: row[-1] for letter, row in ATTACKS.items()},
        hint="Which rule stops it first: the method, the cross-site headers, or the body's type?",
        praise="all five: a GET never acts (405); the browser's own headers give the forged "
               "POSTs away (403); a script must send JSON (415); only the dashboard's JSON POST "
               "acts (200).")


#: 08.2: requests and whether the monitor's guard lets them through to a route.
#: (what it is, method, headers with lower-case names, lets through)
GUARD_CASES: list[tuple[str, str, dict[str, str], bool]] = [
    ("a plain GET of the dashboard", "GET", {}, True),
    ("a GET triggered by another site's <img>", "GET",
     {"sec-fetch-site": "cross-site"}, True),
    ("the dashboard's button", "POST", {"sec-fetch-site": "same-origin", "origin": OWN_ORIGIN,
                                        "content-type": "application/json"}, True),
    ("a request the user typed or bookmarked", "POST",
     {"sec-fetch-site": "none", "content-type": "application/json"}, True),
    ("curl with a JSON body", "POST", {"content-type": "application/json"}, True),
    ("curl with JSON and a charset", "POST",
     {"content-type": "application/json; charset=utf-8"}, True),
    ("a hidden cross-site form", "POST",
     {"sec-fetch-site": "cross-site", "origin": CROSS,
      "content-type": "application/x-www-form-urlencoded"}, False),
    ("a cross-site fetch() with a text/plain body", "POST",
     {"sec-fetch-site": "cross-site", "origin": CROSS, "content-type": "text/plain"}, False),
    ("a page on a sibling subdomain", "POST",
     {"sec-fetch-site": "same-site", "content-type": "application/json"}, False),
    ("an older browser's cross-site POST with JSON", "POST",
     {"origin": CROSS, "content-type": "application/json"}, False),
    ("a sandboxed frame (Origin: null)", "POST",
     {"origin": "null", "content-type": "application/json"}, False),
    ("curl posting a form", "POST",
     {"content-type": "application/x-www-form-urlencoded"}, False),
    ("a DELETE from the same origin with JSON", "DELETE",
     {"sec-fetch-site": "same-origin", "content-type": "application/json"}, True),
    ("a DELETE from another site", "DELETE",
     {"sec-fetch-site": "cross-site", "content-type": "application/json"}, False),
]


@exercise("08.2", "Write lets_through(method, headers) -> bool: does the monitor's guard let "
                  f"this request reach a route? (headers: lower-case names; the monitor is "
                  f"{OWN_ORIGIN})")
def write_the_guard(answer: Callable[[str, dict[str, str]], Any]) -> Any:
    if not callable(answer):
        return wrong("pass the function itself: check('08.2', lets_through), no parentheses.")
    off = []
    for what, method, headers, expected in GUARD_CASES:
        verdict = answer(method, dict(headers))
        if verdict is None:
            return wrong("not written yet: replace the `...` in lets_through with your rules "
                         "and run the cell again.")
        if not isinstance(verdict, bool):
            return wrong(f"lets_through must return True or False; for {what} it returned "
                         f"{verdict!r}.")
        if verdict is not expected:
            off.append(("lets through" if verdict else "refuses") + f" {what}")
    if off:
        return wrong(f"{len(GUARD_CASES) - len(off)} of {len(GUARD_CASES)} cases agree with "
                     f"the monitor; yours {off[0]}" + (f" (and {len(off) - 1} more)"
                                                        if len(off) > 1 else "") + ".")
    return right(f"your guard agrees with the monitor on all {len(GUARD_CASES)} requests.")


#: 08.3: tamperings of the chapter's five-row demo log -> verify().first_bad_id
TAMPERINGS: dict[str, tuple[list[str], int]] = {
    "a": (["UPDATE audit SET detail = 'level 10' WHERE id = 1"], 1),
    "b": (["DELETE FROM audit WHERE id = 2"], 3),
    "c": (["UPDATE audit SET who = 'bob' WHERE id = 3"], 3),
    "d": (["UPDATE audit SET who = 'alice' WHERE id = 4", "DELETE FROM audit WHERE id = 2"], 3),
}


@exercise("08.3", "Predict verify().first_bad_id for each tampering a-d of the five-row demo "
                  "log (a dict letter -> row id) before you run verify().", accepts=dict)
def predict_the_first_bad_row(answer: Mapping[str, Any]) -> Any:
    return compare_predictions(
        answer, {letter: row for letter, (_, row) in TAMPERINGS.items()},
        hint="An edit breaks the row's own mac; a missing row is noticed by the row after it; "
             "verify() names the first problem it meets.",
        praise="each edit is caught at its own row, each deletion at the row after the gap, and "
               "verify() reports the first one it meets.")


choice("08.q1", "Why did an `<img src=\"http://127.0.0.1:8000/chaos/corrupt\">` on another page "
                "work against the original monitor?",
       {"a": "an `<img>` sends a POST with the page's cookies",
        "b": "the browser sent a GET with its cached Basic credentials, and the original acted "
             "on a GET",
        "c": "the image tag reads the password from the browser",
        "d": "CORS allows every image request"},
       "b", because="the browser attaches cached Basic credentials to any request for the "
                    "site; a GET that changes state is therefore forgeable by any page.",
       feedback={"a": "look at the method an <img> uses to fetch its picture.",
                 "c": "CSRF never learns the password: it makes your browser use it.",
                 "d": "CORS governs reading responses; here nobody needs the response."})

choice("08.q2", "Which of these lets another site make your browser send a cross-site POST?",
       {"a": "only an `<a>` link the user clicks", "b": "an `<img>` tag",
        "c": "a form it submits, or `fetch()`",
        "d": "nothing: browsers never send cross-site POSTs"},
       "c", because="links and images only ever send GETs; a POST needs a form (url-encoded, "
                    "multipart or text/plain) or a script's fetch()/XMLHttpRequest.",
       feedback={"a": "what method does following a link use?",
                 "b": "what method does an image request use?",
                 "d": "forms have posted across sites since the 1990s."})

choice("08.q3", "Why does the monitor store scrypt hashes instead of SHA-256 digests of the "
                "passwords?",
       {"a": "scrypt is deliberately slow and memory-hungry, and each hash has its own salt",
        "b": "scrypt can be decrypted when a user forgets the password",
        "c": "SHA-256 is broken: two passwords give the same digest",
        "d": "scrypt hashes are shorter"},
       "a", because="a stolen file should cost an attacker a lot per guess, and a salt makes "
                    "every user's hash a separate job.",
       feedback={"b": "a password hash is one-way by design.",
                 "c": "SHA-256 is fine for integrity; the trouble is how fast it is.",
                 "d": "length is not what protects the password."})

choice("08.q4", "What does the audit log's HMAC chain prove on its own?",
       {"a": "that no row was ever deleted, even the newest",
        "b": "that the times in the rows are true",
        "c": "who was sitting at the keyboard",
        "d": "that the rows it holds were not edited, reordered or removed from the middle by "
             "someone without the key"},
       "d", because="each mac covers its row and the previous mac; only the key holder can "
                    "write a valid chain, and the chain says nothing about truth or the tail.",
       feedback={"a": "what does a shorter, untouched chain look like?",
                 "b": "a chain proves rows did not change after they were written, not that "
                      "they were right.",
                 "c": "it records the account that acted, not the person."})
