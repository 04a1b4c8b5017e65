"""PySide6 + pyqtgraph: the main window, views and panels. No audio or model logic here."""
