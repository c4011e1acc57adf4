"""What operators watch: liveness and readiness, Prometheus metrics, access logs with the
request's correlation id, and the orderly drain on SIGTERM."""
