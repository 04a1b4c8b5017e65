"""RingBuffer: order, wrap-around, overrun/underrun accounting, and a real two-thread stream."""

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_gan.core.ringbuffer import RingBuffer


def test_rejects_bad_sizes():
    with pytest.raises(ValueError):
        RingBuffer(0, 1)
    with pytest.raises(ValueError):
        RingBuffer(16, 0)


def test_wraps_and_keeps_order():
    r = RingBuffer(8, 2)
    data = np.arange(24, dtype=np.float32).reshape(12, 2)
    assert r.write(data[:6]) == 6
    out = np.empty((4, 2), np.float32)
    assert r.read_into(out) == 4
    np.testing.assert_array_equal(out, data[:4])
    assert r.write(data[6:12]) == 6  # crosses the end of the storage
    assert r.available == 8 and r.free == 0
    np.testing.assert_array_equal(r.read(100), data[4:12])


def test_overrun_drops_and_counts():
    r = RingBuffer(5, 1)
    assert r.write(np.ones((8, 1), np.float32)) == 5
    assert r.overruns == 3 and r.available == 5


def test_underrun_zero_fills_and_counts():
    r = RingBuffer(8, 1)
    r.write(np.full((3, 1), 2.0, np.float32))
    out = np.full((5, 1), 9.0, np.float32)
    assert r.read_into(out) == 3
    np.testing.assert_array_equal(out[:, 0], [2, 2, 2, 0, 0])
    assert r.underruns == 2
    r.read_into(out[:1], count_underrun=False)
    assert r.underruns == 2


def test_clear_drops_unread():
    r = RingBuffer(8, 1)
    r.write(np.ones((5, 1), np.float32))
    r.clear()
    assert r.available == 0 and r.free == 8


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)), min_size=1, max_size=40))
def test_random_write_read_sizes_match_a_fifo(ops):
    r = RingBuffer(11, 1)
    fifo: list[float] = []
    counter = 0
    for w, n in ops:
        block = np.arange(counter, counter + w, dtype=np.float32)[:, None]
        counter += w
        k = r.write(block)
        assert k == min(w, 11 - len(fifo))
        fifo.extend(block[:k, 0].tolist())
        out = np.empty((n, 1), np.float32)
        got = r.read_into(out)
        assert got == min(n, len(fifo))
        assert out[:got, 0].tolist() == fifo[:got]
        del fifo[:got]
        assert r.available == len(fifo)


def test_two_threads_stream_every_frame_in_order():
    r = RingBuffer(257, 2)
    total = 50_000
    src = np.stack([np.arange(total), -np.arange(total)], axis=1).astype(np.float32)
    got = np.zeros_like(src)

    def producer():
        i = 0
        rng = np.random.default_rng(1)
        while i < total:
            k = r.write(src[i:i + int(rng.integers(1, 100))])
            i += k
            if not k:
                time.sleep(0)

    t = threading.Thread(target=producer)
    t.start()
    j = 0
    rng = np.random.default_rng(2)
    while j < total:
        n = min(int(rng.integers(1, 100)), r.available, total - j)
        if n:
            r.read_into(got[j:j + n])
            j += n
        else:
            time.sleep(0)
    t.join()
    np.testing.assert_array_equal(got, src)
