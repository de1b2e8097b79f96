"""The deck as a zip package and its XML: opening it safely (package), walking it (scan), reading
charts and SmartArt (charts, smartart) and rewriting alt text byte for byte (xmledit).

The only layer that knows namespaces and XPaths (ns); the layers above speak of objects.
"""
