"""Health: liveness and readiness probes for the load balancer and the orchestrator."""
