"""Pictures of slides, for objects that have no picture of their own a model could read.

Ink, OLE objects without a raster preview, SmartArt and tables without text,
diagrams drawn with shapes and PDF pictures are described from a render of
their slide, cropped to the object's box.  LibreOffice draws the slide
(soffice.py: one LibreOffice per deck worker, driven by the UNO helper
unohelper.py, or the command line when UNO is missing) from a render-only
copy of the deck that mends what LibreOffice would miss (copy.py: ink it does
not draw, SmartArt inside groups it drops, links it must not follow);
slides.py caches each slide's render by the content of the slide and all it
depends on, and crops objects out of it.
"""
