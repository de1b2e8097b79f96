"""Describing objects: the interface (base), the embedded offline describer, and vision models.

A describer turns a Subject (one object with its slide context) into a Result
(text, or pending with the reason).  `choose` picks the run's describer.
"""
from .base import Chain, Describer, Result, Subject, describer_signature, make_describer

__all__ = ["Chain", "Describer", "Result", "Subject", "describer_signature", "make_describer"]
