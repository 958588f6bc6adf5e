"""Worked and wrong answers for chapter 00 (t32sim/lab/chapters/ch00.py)."""

RIGHT = {"00.1": 0}
WRONG = {"00.1": [1, 10, -1]}
