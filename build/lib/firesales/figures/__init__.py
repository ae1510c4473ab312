"""Figures and tables of the book: one module per chapter, one function per figure or table.

Each function takes the data a notebook computed, draws it in the house style
(:mod:`firesales.plotting`) and saves it with the data behind it, so that the notebooks
keep the argument in view and the plumbing out of the way.
"""
