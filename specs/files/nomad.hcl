# /etc/nomad.d/nomad.hcl on hv1..hv5 — installed by Salt from specs/files/nomad.hcl.
# Every host is a server (five voters) and a client. Jobs themselves are applied
# by Terraform, triggered by Salt's orchestrate run; nothing here names a job.

datacenter = "eos1"
data_dir   = "/opt/nomad/data"
bind_addr  = "0.0.0.0"

advertise {
  http = "{{ GetPrivateInterfaces | include \"network\" \"10.0.0.0/24\" | attr \"address\" }}"
  rpc  = "{{ GetPrivateInterfaces | include \"network\" \"10.0.0.0/24\" | attr \"address\" }}"
  serf = "{{ GetPrivateInterfaces | include \"network\" \"10.0.0.0/24\" | attr \"address\" }}"
}

ports {
  http = 4646
  rpc  = 4647
  serf = 4648
}

server {
  enabled          = true
  bootstrap_expect = 5
}

client {
  enabled = true

  # CephFS is kernel-mounted at /mnt/cephfs by the cephfs state before Nomad
  # starts; cephfs-backed job volumes are sub-folders of it.
  host_volume "cephfs" {
    path      = "/mnt/cephfs"
    read_only = false
  }
}

consul {
  address = "127.0.0.1:8500"
}

# Workload identity: jobs log in to Vault with their own JWT, no tokens here.
vault {
  enabled               = true
  address               = "https://10.0.0.11:8200"
  jwt_auth_backend_path = "jwt-nomad"

  default_identity {
    aud = ["vault.io"]
    ttl = "1h"
  }
}

plugin "docker" {
  config {
    allow_privileged = false

    volumes {
      enabled = true
    }
  }
}

telemetry {
  prometheus_metrics         = true
  publish_allocation_metrics = true
  publish_node_metrics       = true
}
