import threading
import time

import pytest

from desktop_gan.workers.jobs import Cancelled, InferenceWorker, JobThread


def test_jobs_run_in_order_off_the_calling_thread():
    jt = JobThread("t").start()
    seen = []
    jobs = [jt.submit(lambda i=i: seen.append((i, threading.current_thread().name)) or i) for i in range(5)]
    assert [j.result(5) for j in jobs] == list(range(5))
    assert [s[0] for s in seen] == list(range(5))
    assert all(name == "t" for _, name in seen)
    jt.shutdown()


def test_progress_cancel_and_errors_are_reported():
    jt = JobThread("t").start()
    started = threading.Event()
    progress = []

    def long(ctx):
        started.set()
        for i in range(1000):
            ctx.progress(i / 1000)
            ctx.check_cancelled()
            time.sleep(0.005)
        return "finished"

    job = jt.submit(long)
    job.on_progress = lambda j: progress.append(j.progress)
    assert started.wait(5)
    time.sleep(0.05)
    job.cancel()
    with pytest.raises(Cancelled):
        job.result(5)
    assert job.cancelled and progress and progress[-1] < 1.0

    bad = jt.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        bad.result(5)
    assert "ZeroDivisionError" in bad.error_text
    assert jt.submit(lambda: 42).result(5) == 42  # the thread survived the failure
    jt.shutdown()


def test_inference_worker_picks_a_device_and_caches_models():
    w = InferenceWorker().start()
    assert w.wait_ready(60) in ("cpu", "cuda")
    loads = []

    def job(ctx):
        return w.model("m", lambda dev: loads.append(dev) or object()), ctx.device

    (m1, dev), (m2, _) = w.submit(job).result(60), w.submit(job).result(60)
    assert m1 is m2 and loads == [dev]
    w.shutdown()


def test_inference_worker_uses_the_device_this_run_expects(expected_torch_device):
    w = InferenceWorker().start()
    try:
        assert w.wait_ready(60) == expected_torch_device and w.error is None
        import torch

        def job(ctx):
            return str(torch.zeros(1, device=ctx.device).device)

        assert w.submit(job).result(60).split(":")[0] == expected_torch_device
    finally:
        w.shutdown()


def test_cuda_asked_for_without_cuda_fails_every_job_instead_of_falling_back():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is present: nothing to refuse")
    w = InferenceWorker(device="cuda").start()
    try:
        assert w.wait_ready(60) is None and "no CUDA device" in w.error
        with pytest.raises(RuntimeError, match="no CUDA device"):
            w.submit(lambda: 1).result(10)
    finally:
        w.shutdown()
