"""channelhub: an editorial channel hub built on MkDocs and Material for MkDocs."""

__version__ = "0.1.0"
