"""desktop_gan: a desktop audio workstation whose models are GAN-trained.

Layers (each imports only from the ones listed before it):
core -> dsp -> io -> audio -> models -> runtime -> training -> workers -> ui.
"""

__version__ = "0.1.0"
