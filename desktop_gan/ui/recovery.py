"""The offer, after the first paint, to recover takes that a crash interrupted.

A non-modal box lists the takes (name, length, when) found by ``io/take_recovery.find_interrupted``
in the takes folder: *Open* repairs them all and opens the newest, *Show in folder* repairs them and
opens the folder, *Later* keeps the markers so the next start asks again. The files themselves are
never moved or deleted.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from desktop_gan.io.take_recovery import Interrupted, RecoveryError, find_interrupted, recover


def describe(items: list[Interrupted]) -> str:
    lines = []
    for it in items[:6]:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(it.started)) if it.started else "?"
        lines.append(f"• {it.take.name} — {it.seconds:.1f} s, started {when}")
    if len(items) > 6:
        lines.append(f"• … and {len(items) - 6} more")
    folder = items[0].take.parent
    return ("\n".join(lines) + f"\n\nEverything recorded up to the interruption is in {folder}. "
            "Nothing was deleted.")


class RecoveryOffer:
    """Owns the box; ``window`` is the main window (``open_file``, ``status``, ``settings``)."""

    def __init__(self, window) -> None:
        self.w = window
        self.items: list[Interrupted] = []
        self.box: QMessageBox | None = None

    def check(self) -> bool:
        """Look for interrupted takes and show the offer; True when one was shown."""
        self.items = find_interrupted(self.w.settings.takes_dir)
        if not self.items:
            return False
        n = len(self.items)
        title = "A recording was interrupted" if n == 1 else f"{n} recordings were interrupted"
        box = QMessageBox(QMessageBox.Icon.Information, title, title, QMessageBox.StandardButton.NoButton, self.w)
        box.setInformativeText(describe(self.items))
        self.open_button = box.addButton("Open", QMessageBox.ButtonRole.AcceptRole)
        self.show_button = box.addButton("Show in folder", QMessageBox.ButtonRole.ActionRole)
        self.later_button = box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.open_button)
        box.buttonClicked.connect(self._clicked)
        self.box = box
        box.open()
        return True

    def _repair_all(self) -> list:
        done = []
        for it in self.items:
            try:
                done.append(recover(it))
            except (RecoveryError, OSError) as exc:
                self.w.show_error("Could not repair a take", f"{it.take}: {exc}")
        return done

    def _clicked(self, button) -> None:
        if button is self.later_button:
            self.w.status("Interrupted takes kept; you will be asked again at the next start", 6000)
            return
        done = self._repair_all()
        if not done:
            return
        if button is self.open_button:
            self.w.open_file(done[0], status=f"Recovered {done[0].name} ({self.items[0].seconds:.1f} s) "
                                             f"in {done[0].parent}")
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(done[0].parent)))
            self.w.status(f"Recovered {len(done)} take(s) in {done[0].parent}", 8000)
