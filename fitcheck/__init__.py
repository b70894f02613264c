"""fitcheck: should this training job turn on a graph compiler, and what is it worth?"""

__version__ = "0.1.0"
