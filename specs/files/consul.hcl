# /etc/consul.d/consul.hcl on hv1..hv5 — installed by Salt from specs/files/consul.hcl.
# Five servers (tolerates two failures); the same file on every host, the address
# is picked from the stack network by go-sockaddr.

datacenter       = "eos1"
data_dir         = "/opt/consul"
server           = true
bootstrap_expect = 5

bind_addr   = "{{ GetPrivateInterfaces | include \"network\" \"10.0.0.0/24\" | attr \"address\" }}"
client_addr = "127.0.0.1 {{ GetPrivateInterfaces | include \"network\" \"10.0.0.0/24\" | attr \"address\" }}"

retry_join = ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14", "10.0.0.15"]

ports {
  http     = 8500
  dns      = 8600
  server   = 8300
  serf_lan = 8301
  serf_wan = -1
}

ui_config {
  enabled = true
}

performance {
  raft_multiplier = 1
}

telemetry {
  prometheus_retention_time = "60s"
  disable_hostname          = true
}
