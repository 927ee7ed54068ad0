# /etc/boundary.d/controller.hcl on hv1 — installed by Salt from
# specs/files/boundary/controller.hcl. The database URL (BOUNDARY_PG_URL) and the
# Vault token for the transit KMS (VAULT_TOKEN) come from the service's `secret`
# blocks; no credential is in this file.

disable_mlock = true

controller {
  name                = "eos-controller"
  description         = "Boundary controller on hv1"
  public_cluster_addr = "10.0.0.11:9201"

  database {
    url = "env://BOUNDARY_PG_URL"
  }
}

# TLS is terminated by Caddy at boundary.eos.example.com.
listener "tcp" {
  address     = "10.0.0.11:9200"
  purpose     = "api"
  tls_disable = true
}

listener "tcp" {
  address = "10.0.0.11:9201"
  purpose = "cluster"
}

listener "tcp" {
  address     = "10.0.0.11:9203"
  purpose     = "ops"
  tls_disable = true
}

kms "transit" {
  purpose    = "root"
  address    = "https://10.0.0.11:8200"
  mount_path = "transit/"
  key_name   = "boundary-root"
}

kms "transit" {
  purpose    = "worker-auth"
  address    = "https://10.0.0.11:8200"
  mount_path = "transit/"
  key_name   = "boundary-worker-auth"
}

kms "transit" {
  purpose    = "recovery"
  address    = "https://10.0.0.11:8200"
  mount_path = "transit/"
  key_name   = "boundary-recovery"
}
