// The peer of `eosc build` for the side-by-side of scripts/bench.sh: the stack of
// `eosc-bench gen N --json`, validated and turned into one Nomad job (API JSON)
// per nomad service, as a Jsonnet user would write it.
//
//   jsonnet -m OUT --tla-code-file stack=stack.json bench/nomad-jobs.jsonnet
//
// Validation (asserts, each with a message): the schema of LANGUAGE.md section 3 —
// required fields, types, enum values, name syntax, ranges (ports, counts, sizes,
// NUMA ids), `memory_max >= memory`, exactly one of `disk`/`backend`, image for
// nomad/docker, absolute volume paths, plaintext secrets in `env` (E0501) — plus
// unique names and every reference (on, after, health port, volume disk, route
// target). Not done (eosc does it): the dependency graph and its cycles, stages,
// placement and the memory/CPU/NUMA/disk budgets, ports per host, and every
// artifact other than the Nomad jobs.
function(stack)
  // Sets are objects: std.setMember is slow in the C++ implementation.
  local setOf(items) = { [k]: true for k in items };
  local lower = setOf(std.stringChars('abcdefghijklmnopqrstuvwxyz'));
  local nameChars = setOf(std.stringChars('abcdefghijklmnopqrstuvwxyz0123456789-'));
  local isName(s) =
    std.isString(s) && std.length(s) >= 1 && std.length(s) <= 63
    && std.objectHas(lower, s[0])
    && std.length([c for c in std.stringChars(s) if !std.objectHas(nameChars, c)]) == 0;
  local isInt(n) = std.isNumber(n) && std.floor(n) == n;
  local isPos(n) = std.isNumber(n) && n > 0;
  local oneOf(v, options) = std.isString(v) && std.objectHas(options, v);
  local allStrings(o) = std.isObject(o) && std.length([k for k in std.objectFields(o) if !std.isString(o[k])]) == 0;
  local secretWords = ['PASSWORD', 'SECRET', 'TOKEN', 'KEY'];
  // std.findSubstr is very slow in the C++ implementation; std.strReplace is native.
  local contains(haystack, needle) = std.length(std.strReplace(haystack, needle, '')) != std.length(haystack);
  local plaintextSecret(k) = local upper = std.asciiUpper(k); std.length([w for w in secretWords if contains(upper, w)]) > 0;
  local unique(names, what) =
    assert std.length(std.set(names)) == std.length(names) : 'duplicate %s name' % what;
    true;
  local capabilities = setOf(['consul', 'vault', 'nomad', 'docker', 'cephfs', 'caddy', 'nginx', 'authentik', 'boundary', 'wazuh']);
  local enum = {
    kind: setOf(['ssd', 'nvme', 'hdd']),
    runtime: setOf(['baremetal', 'docker', 'nomad']),
    port: setOf(['http', 'https', 'tcp', 'udp']),
    io: setOf(['fsync', 'wal', 'osd', 'bulk', 'general']),
    hook: setOf(['none', 'pg_dump']),
    route: setOf(['http', 'tcp', 'udp']),
    auth: setOf(['none', 'authentik']),
  };

  // Closed records, like the schema: an unknown field is an error (E0102).
  local fields = {
    host: setOf(['name', 'address', 'memory', 'cpus', 'cpu_mhz', 'reserved', 'numa', 'disks']),
    service: setOf(['name', 'runtime', 'provides', 'on', 'package', 'image', 'command', 'args', 'count', 'memory', 'memory_max', 'cpu', 'numa', 'after', 'env', 'ports', 'health', 'secrets', 'volumes']),
    port: setOf(['name', 'number', 'protocol', 'static']),
    volume: setOf(['name', 'disk', 'backend', 'size', 'path', 'io', 'backup']),
    route: setOf(['name', 'protocol', 'host', 'path', 'listen', 'to', 'auth']),
  };
  local closed(o, kind) = std.length([f for f in std.objectFields(o) if !std.objectHas(fields[kind], f)]) == 0;

  local s = stack.stack;
  assert std.isString(s.domain) && std.length(s.domain) > 0 : 'stack.domain: a DNS name is required';
  assert isInt(s.memory_budget) && s.memory_budget > 0 && s.memory_budget <= 100 : 'stack.memory_budget: 1..100';
  assert isInt(s.disk_budget) && s.disk_budget > 0 && s.disk_budget <= 100 : 'stack.disk_budget: 1..100';
  assert isInt(s.ceph_replicas) && s.ceph_replicas >= 1 : 'stack.ceph_replicas: int >= 1';
  assert std.isString(s.backup.repository) && std.isString(s.backup.secret) : 'stack.backup: repository and secret';

  local hosts = {
    [h.name]: h {
      assert isName(h.name) : 'host name %s' % h.name,
      assert closed(h, 'host') : 'host %s: unknown field' % h.name,
      assert std.isString(h.address) : 'host %s: address' % h.name,
      assert isPos(h.memory) && isInt(h.memory) : 'host %s: memory' % h.name,
      assert isInt(h.cpus) && h.cpus >= 1 : 'host %s: cpus' % h.name,
      assert isPos(h.cpu_mhz) : 'host %s: cpu_mhz' % h.name,
      assert std.foldl(function(acc, n) acc + n.memory, h.numa, 0) <= h.memory : 'host %s: NUMA memory above host memory' % h.name,
      assert std.length([n for n in h.numa if !(isInt(n.cpus[0]) && n.cpus[0] <= n.cpus[1] && n.cpus[1] < h.cpus && isPos(n.memory))]) == 0 : 'host %s: NUMA cpus outside 0..cpus-1' % h.name,
      assert std.length([d for d in h.disks if !(isName(d.name) && isPos(d.size) && oneOf(d.kind, enum.kind))]) == 0 : 'host %s: disk' % h.name,
      numaIds:: setOf([std.toString(n.id) for n in h.numa]),
      diskNames:: setOf([d.name for d in h.disks]),
    }
    for h in stack.hosts
  };
  assert unique([h.name for h in stack.hosts], 'host');

  local services = { [x.name]: x for x in stack.services };
  assert unique([x.name for x in stack.services], 'service');

  local checkService(x) =
    local where = 'service %s' % x.name;
    local portNames = setOf([p.name for p in x.ports]);
    assert isName(x.name) : '%s: name' % where;
    assert closed(x, 'service') : '%s: unknown field' % where;
    assert std.length([p for p in x.ports if !closed(p, 'port')]) == 0 : '%s: unknown field in a port' % where;
    assert std.length([v for v in x.volumes if !closed(v, 'volume')]) == 0 : '%s: unknown field in a volume' % where;
    assert oneOf(x.runtime, enum.runtime) : '%s: runtime' % where;
    assert std.length([c for c in x.provides if !oneOf(c, capabilities)]) == 0 : '%s: provides' % where;
    assert x.runtime == 'baremetal' || std.isString(std.get(x, 'image')) : '%s: image is required' % where;
    assert x.runtime == 'nomad' || std.objectHas(x, 'on') : '%s: on is required' % where;
    assert std.length([h for h in std.get(x, 'on', []) if !std.objectHas(hosts, h)]) == 0 : '%s: unknown host in on' % where;
    assert isInt(x.count) && x.count >= 1 && (x.runtime == 'nomad' || x.count == 1) : '%s: count' % where;
    assert isPos(x.memory) && isInt(x.memory) : '%s: memory' % where;
    assert !std.objectHas(x, 'memory_max') || x.memory_max >= x.memory : '%s: memory_max below memory' % where;
    assert isPos(x.cpu) : '%s: cpu' % where;
    assert !std.objectHas(x, 'numa') || std.length([h for h in std.get(x, 'on', []) if !std.objectHas(hosts[h].numaIds, std.toString(x.numa))]) == 0 : '%s: NUMA node missing' % where;
    assert std.length([a for a in x.after if !std.objectHas(services, a)]) == 0 : '%s: unknown service in after' % where;
    assert allStrings(x.env) : '%s: env values are strings' % where;
    assert std.length([k for k in std.objectFields(x.env) if plaintextSecret(k)]) == 0 : '%s: plaintext secret in env' % where;
    assert std.length([p for p in x.ports if !(isName(p.name) && isInt(p.number) && p.number >= 1 && p.number <= 65535 && oneOf(p.protocol, enum.port) && std.isBoolean(p.static))]) == 0 : '%s: port' % where;
    assert unique([p.name for p in x.ports], 'port');
    assert !std.objectHas(x, 'health') || (std.objectHas(x.health, 'port') != std.objectHas(x.health, 'command')) : '%s: health needs one of port, command' % where;
    assert !std.objectHas(x, 'health') || !std.objectHas(x.health, 'port') || std.objectHas(portNames, x.health.port) : '%s: health port' % where;
    assert !std.objectHas(x, 'health') || (isPos(x.health.interval_ms) && isPos(x.health.timeout_ms) && isPos(x.health.grace_ms)) : '%s: health durations' % where;
    assert std.length([v for v in x.volumes if !(
      isName(v.name) && (std.objectHas(v, 'disk') != std.objectHas(v, 'backend')) && isPos(v.size)
      && std.isString(v.path) && std.startsWith(v.path, '/') && !contains(v.path, '..')
      && oneOf(v.io, enum.io)
      && (!std.objectHas(v, 'disk') || (local p = std.split(v.disk, '.'); std.length(p) == 2 && std.objectHas(hosts, p[0]) && std.objectHas(hosts[p[0]].diskNames, p[1])))
      && (!std.objectHas(v, 'backup') || (std.isString(v.backup.schedule) && isInt(v.backup.keep_daily) && oneOf(v.backup.hook, enum.hook)))
    )]) == 0 : '%s: volume' % where;
    assert std.length([z for z in x.secrets if !(isName(z.name) && std.isString(z.path) && allStrings(z.env))]) == 0 : '%s: secret' % where;
    x;

  local checkRoute(r) =
    local target = std.split(r.to, '.');
    assert isName(r.name) : 'route name %s' % r.name;
    assert closed(r, 'route') : 'route %s: unknown field' % r.name;
    assert oneOf(r.protocol, enum.route) : 'route %s: protocol' % r.name;
    assert r.protocol != 'http' || std.isString(std.get(r, 'host')) : 'route %s: host is required' % r.name;
    assert r.protocol == 'http' || (isInt(std.get(r, 'listen')) && r.listen >= 1 && r.listen <= 65535) : 'route %s: listen' % r.name;
    assert oneOf(r.auth, enum.auth) : 'route %s: auth' % r.name;
    assert std.length(target) == 2 && std.objectHas(services, target[0]) && std.length([p for p in services[target[0]].ports if p.name == target[1]]) == 1 : 'route %s: unknown target %s' % [r.name, r.to];
    r;
  assert unique([r.name for r in stack.routes], 'route');
  // Arrays are lazy: a fold forces every check.
  local all(f, items) = std.foldl(function(ok, item) ok && f(item) != null, items, true);
  assert all(checkRoute, stack.routes);
  assert all(checkService, [x for x in stack.services if x.runtime != 'nomad']);

  local mhz = std.foldl(function(m, h) if h.cpu_mhz < m then h.cpu_mhz else m, stack.hosts, 1e9);
  local MiB = 1048576;

  local job(x) =
    local localHosts = std.set([std.split(v.disk, '.')[0] for v in x.volumes if std.objectHas(v, 'disk')]);
    local check =
      if !std.objectHas(x, 'health') then null
      else if std.objectHas(x.health, 'path') then { Type: 'http', Path: x.health.path }
      else { Type: 'tcp' };
    {
      Job: {
        ID: x.name,
        Name: x.name,
        Type: 'service',
        Region: 'global',
        Datacenters: [s.datacenter],
        Constraints:
          (if std.objectHas(x, 'on') then [{ LTarget: '${attr.unique.hostname}', Operand: 'regexp', RTarget: '^(' + std.join('|', x.on) + ')$' }] else [])
          + [{ LTarget: '${attr.unique.hostname}', Operand: '=', RTarget: h } for h in localHosts],
        TaskGroups: [{
          Name: x.name,
          Count: x.count,
          Networks: [{
            DynamicPorts: [{ Label: p.name, To: p.number } for p in x.ports if !p.static],
            ReservedPorts: [{ Label: p.name, Value: p.number, To: p.number } for p in x.ports if p.static],
          }],
          Volumes: {
            [v.name]: if std.objectHas(v, 'disk')
            then { Name: v.name, Type: 'host', Source: x.name + '-' + v.name, ReadOnly: false }
            else { Name: v.name, Type: 'csi', Source: 'cephfs-' + x.name + '-' + v.name, ReadOnly: false, AccessMode: 'multi-node-multi-writer', AttachmentMode: 'file-system' }
            for v in x.volumes
          },
          Services: [{
            Name: x.name + '-' + p.name,
            PortLabel: p.name,
            Provider: 'consul',
            Checks: if check != null && std.get(x.health, 'port') == p.name then [check {
              Name: x.name + '-' + p.name + '-health',
              PortLabel: p.name,
              Interval: x.health.interval_ms * 1000000,
              Timeout: x.health.timeout_ms * 1000000,
              CheckRestart: { Grace: x.health.grace_ms * 1000000 },
            }] else [],
          } for p in x.ports],
          Tasks: [{
            Name: x.name,
            Driver: 'docker',
            Config: { image: x.image, ports: [p.name for p in x.ports] }
                    + (if std.objectHas(x, 'command') then { command: x.command } else {})
                    + (if std.length(x.args) > 0 then { args: x.args } else {}),
            Env: x.env,
            Resources: {
              CPU: std.ceil(x.cpu * mhz / 1000),
              MemoryMB: std.floor(x.memory / MiB),
              [if std.objectHas(x, 'memory_max') then 'MemoryMaxMB']: std.floor(x.memory_max / MiB),
              [if std.objectHas(x, 'numa') then 'NUMA']: { Affinity: 'require' },
            },
            [if std.length(x.secrets) > 0 then 'Vault']: { Policies: [x.name] },
            Templates: [{
              EmbeddedTmpl: std.join('', ['{{ with secret "' + z.path + '" }}' + k + '={{ .Data.data.' + z.env[k] + ' }}\n{{ end }}' for k in std.objectFields(z.env)]),
              DestPath: 'secrets/' + z.name + '.env',
              Envvars: true,
            } for z in x.secrets],
            VolumeMounts: [{ Volume: v.name, Destination: v.path, ReadOnly: false } for v in x.volumes],
          }],
        }],
      },
    };

  // (std.format, `%`, is slow in the C++ implementation: names are built with `+`.)
  // One file per nomad service (jsonnet -m OUT/nomad writes them).
  {
    [x.name + '.nomad.json']: job(checkService(x))
    for x in stack.services
    if x.runtime == 'nomad'
  }
