"""Describing objects: the interface (base), the embedded offline describer, and vision models.

A describer turns a Subject (one object with its slide context) into a Result
(text, or pending with the reason).  `choose` picks the run's describer;
`signature` says what identifies a describer's text without making one (every
no-op run asks), which is why this package imports nothing itself.
"""
