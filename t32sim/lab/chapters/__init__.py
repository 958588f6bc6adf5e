"""One module a chapter (``ch04.py`` for notebooks/04-*.ipynb), each declaring that chapter's
exercises and quiz with ``t32sim.lab.exercise``. ``exercises()`` imports them all."""
