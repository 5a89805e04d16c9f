"""langtutor: a self-hostable AI language-learning assistant."""

__version__ = "0.1.0"
