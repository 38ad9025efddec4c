"""Result types of ``map`` and ``parallel``, in ``concurrency.models`` as in the AWS SDK."""
