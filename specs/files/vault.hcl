# /etc/vault.d/vault.hcl on hv1 — installed by Salt from specs/files/vault.hcl.
#
# File storage on the local nvme (volume "data" of service "vault" in eos.eos).
# Deliberately no Consul storage and no `service_registration "consul"`: Vault is
# stage 0 of the bootstrap and must come up with nothing else running.

ui            = true
api_addr      = "https://10.0.0.11:8200"
cluster_addr  = "https://10.0.0.11:8201"
log_level     = "info"

storage "file" {
  path = "/var/lib/vault/data"
}

listener "tcp" {
  address         = "10.0.0.11:8200"
  cluster_address = "10.0.0.11:8201"
  tls_cert_file   = "/etc/vault.d/tls/vault.crt"
  tls_key_file    = "/etc/vault.d/tls/vault.key"
  tls_min_version = "tls12"

  # /v1/sys/metrics for Prometheus without a token (/v1/sys/health, which the
  # bootstrap polls, never needs one).
  telemetry {
    unauthenticated_metrics_access = true
  }
}

telemetry {
  prometheus_retention_time = "60s"
  disable_hostname          = true
}
