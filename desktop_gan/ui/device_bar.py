"""Device bar: input and output device, sample rate, and the input level meters.

It is filled from ``list_devices()`` results handed in by the window (``set_devices``) and emits
a new frozen ``AudioConfig`` (built with ``dataclasses.replace``) when the user picks something.
With no devices it shows that and stays disabled; the rest of the app keeps working.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QWidget

from desktop_gan.core.params import SUPPORTED_RATES, AudioConfig
from desktop_gan.ui.meters import LevelMeter
from desktop_gan.ui.theme import DEFAULT, Theme

DEFAULT_LABEL = "System default"


class DeviceBar(QFrame):
    configChanged = Signal(object)  # AudioConfig

    def __init__(self, config: AudioConfig, theme: Theme = DEFAULT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Bar")
        self.config = config
        self._filling = False
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(6)
        self.input_combo = QComboBox(self)
        self.output_combo = QComboBox(self)
        self.rate_combo = QComboBox(self)
        for combo in (self.input_combo, self.output_combo):
            combo.setMinimumContentsLength(16)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for rate in SUPPORTED_RATES:
            self.rate_combo.addItem(f"{rate / 1000:g} kHz", rate)
        self.meter = LevelMeter(config.channels_in, theme, self)
        for text, widget in (("IN", self.input_combo), ("OUT", self.output_combo), ("RATE", self.rate_combo)):
            cap = QLabel(text, self)
            cap.setObjectName("Caption")
            lay.addWidget(cap)
            lay.addWidget(widget)
        cap = QLabel("LEVEL", self)
        cap.setObjectName("Caption")
        lay.addSpacing(8)
        lay.addWidget(cap)
        lay.addWidget(self.meter, 1)
        self.input_combo.currentIndexChanged.connect(self._changed)
        self.output_combo.currentIndexChanged.connect(self._changed)
        self.rate_combo.currentIndexChanged.connect(self._changed)
        self.set_devices([], "no devices listed yet")

    def set_devices(self, devices: list, error: str | None = None) -> None:
        """Fill the combos from DeviceInfo objects; ``error`` disables them with a reason."""
        self._filling = True
        try:
            for combo, want, attr in ((self.input_combo, self.config.input_device, "max_input_channels"),
                                      (self.output_combo, self.config.output_device, "max_output_channels")):
                combo.clear()
                usable = [d for d in devices if getattr(d, attr, 0) > 0]
                if error or not usable:
                    combo.addItem(error or "No devices", None)
                    combo.setEnabled(False)
                    combo.setToolTip(error or "No devices")
                    continue
                combo.setEnabled(True)
                combo.addItem(DEFAULT_LABEL, None)
                for d in usable:
                    combo.addItem(f"{d.name} ({d.hostapi})", d.index)
                idx = combo.findData(want) if want is not None else 0
                if idx < 0 and isinstance(want, str):
                    idx = next((i for i in range(combo.count()) if want in combo.itemText(i)), 0)
                combo.setCurrentIndex(max(0, idx))
            self.rate_combo.setEnabled(not error)
            r = self.rate_combo.findData(int(self.config.samplerate))
            self.rate_combo.setCurrentIndex(max(0, r))
        finally:
            self._filling = False

    def set_config(self, config: AudioConfig) -> None:
        self.config = config

    def _changed(self, _index: int) -> None:
        if self._filling:
            return
        rate = self.rate_combo.currentData()
        new = replace(
            self.config,
            input_device=self.input_combo.currentData(),
            output_device=self.output_combo.currentData(),
            samplerate=int(rate) if rate else self.config.samplerate,
        )
        if new != self.config:
            self.config = new
            self.configChanged.emit(new)
