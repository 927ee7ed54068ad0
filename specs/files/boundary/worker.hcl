# /etc/boundary.d/worker.hcl on hv2 — installed by Salt from
# specs/files/boundary/worker.hcl. The worker registers with the controller once
# (controller-led activation, by an operator); its credentials then live in
# auth_storage_path, never in this file. Clients reach it through nginx on the
# edge hosts (route "boundary-worker", tcp 9202).

disable_mlock = true

listener "tcp" {
  address = "10.0.0.12:9202"
  purpose = "proxy"
}

listener "tcp" {
  address     = "10.0.0.12:9203"
  purpose     = "ops"
  tls_disable = true
}

worker {
  name              = "hv2-worker"
  public_addr       = "edge.eos.example.com:9202"
  initial_upstreams = ["10.0.0.11:9201"]
  auth_storage_path = "/var/lib/boundary/worker"

  tags {
    type = ["eos", "control-plane"]
  }
}
