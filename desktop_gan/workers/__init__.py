"""The only place threads and processes start: inference thread, training process, file jobs."""
