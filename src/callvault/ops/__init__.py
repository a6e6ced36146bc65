"""Operations: recorders running beside the API, their health and Prometheus metrics."""
