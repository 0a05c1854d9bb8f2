"""EduHub Exchange: an open metadata hub for digital education.

Data flows harvesters/ -> exchange.crosswalks -> exchange.model -> exchange.store -> exchange.api.
"""

__version__ = "0.1.0"
