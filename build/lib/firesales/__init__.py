"""firesales: solvers and checks behind the fire-sales replication book.

One module per paper (:mod:`firesales.kurlat`, :mod:`firesales.cheng_robatto`,
:mod:`firesales.eisenbach_phelan`, :mod:`firesales.fernando`) and shared pieces
(:mod:`firesales.numerics`, :mod:`firesales.plotting`, :mod:`firesales.ledger`).
"""

__version__ = "0.1.0"
