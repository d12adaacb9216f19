// Reads `perf script -F pid,time,event,trace` output of syscall tracepoints (read, write, writev,
// epoll_pwait) taken from a gateway and the fake upstream under one client at c=1, and prints
// the median time of each phase of a request (bench/syscall-phases.sh runs it).
//
//   node bench/syscall-phases.mjs <gateway pid> <upstream pid> < perf-script.txt
//
// A request through the gateway is four hops. Between them the gateway runs its own code:
//   client → gateway: `read(client)` … gateway work … `writev(upstream)` (phase "in")
//   upstream works:    upstream `read` … upstream `write`
//   upstream → gateway: `read(upstream)` … gateway work … `write(client)` (phase "out")
//   after the answer:  `write(client)` … next blocking `epoll_pwait` (work the client does not wait for)
import { createInterface } from 'node:readline';

const [gatewayPid, upstreamPid] = process.argv.slice(2);
if (!gatewayPid || !upstreamPid) throw new Error('usage: node bench/syscall-phases.mjs <gateway pid> <upstream pid> < perf-script.txt');

const LINE = /^\s*(\d+)\s+([\d.]+):\s+syscalls:(\S+):\s*(.*)$/;
const events = [];
for await (const line of createInterface({ input: process.stdin })) {
  const m = LINE.exec(line);
  if (!m) continue;
  const fd = /fd: (0x[0-9a-f]+)/.exec(m[4]);
  events.push({ pid: m[1], us: Number(m[2]) * 1e6, name: m[3], fd: fd ? Number.parseInt(fd[1], 16) : null, blocking: !/timeout: 0x00000000\b/.test(m[4]) });
}
events.sort((a, b) => a.us - b.us);

// The gateway's upstream socket is the one whose writes the upstream reads next; its client
// socket is the other one it reads from most.
const isWrite = (e) => e.name === 'sys_enter_write' || e.name === 'sys_enter_writev';
const mostCommon = (fds) => {
  const counts = new Map();
  for (const fd of fds) counts.set(fd, (counts.get(fd) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
};
const writesReadByUpstream = [];
for (let i = 0; i < events.length; i++) {
  if (events[i].pid !== gatewayPid || !isWrite(events[i])) continue;
  let j = i + 1;
  while (j < events.length && events[j].pid !== upstreamPid && !(events[j].pid === gatewayPid && isWrite(events[j]))) j++;
  if (events[j]?.pid === upstreamPid && events[j].name === 'sys_enter_read') writesReadByUpstream.push(events[i].fd);
}
const upstreamFd = mostCommon(writesReadByUpstream);
const clientFd = mostCommon(events.filter((e) => e.pid === gatewayPid && e.name === 'sys_enter_read' && e.fd !== upstreamFd).map((e) => e.fd));
if (upstreamFd === undefined || clientFd === undefined) throw new Error('no requests traced: was the load running?');

const phases = { in: [], toUpstream: [], upstream: [], fromUpstream: [], out: [], after: [] };
let state = 'idle';
let t = 0;
for (const e of events) {
  const gw = e.pid === gatewayPid;
  if (gw && e.name === 'sys_enter_read' && e.fd === clientFd) [state, t] = ['in', e.us];
  else if (state === 'in' && gw && isWrite(e) && e.fd === upstreamFd) (phases.in.push(e.us - t), ([state, t] = ['sent', e.us]));
  else if (state === 'sent' && e.pid === upstreamPid && e.name === 'sys_enter_read') (phases.toUpstream.push(e.us - t), ([state, t] = ['upstream', e.us]));
  else if (state === 'upstream' && e.pid === upstreamPid && isWrite(e)) (phases.upstream.push(e.us - t), ([state, t] = ['answered', e.us]));
  else if (state === 'answered' && gw && e.name === 'sys_enter_read' && e.fd === upstreamFd) (phases.fromUpstream.push(e.us - t), ([state, t] = ['out', e.us]));
  else if (state === 'out' && gw && isWrite(e) && e.fd === clientFd) (phases.out.push(e.us - t), ([state, t] = ['after', e.us]));
  else if (state === 'after' && gw && e.name === 'sys_enter_epoll_pwait' && e.blocking) (phases.after.push(e.us - t), (state = 'idle'));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [
  ['in', 'client request read → upstream request written (gateway CPU, on the critical path)'],
  ['toUpstream', 'upstream request written → upstream reads it (wake-up of the upstream)'],
  ['upstream', 'upstream reads → upstream answers'],
  ['fromUpstream', 'upstream answers → gateway reads it (wake-up of the gateway)'],
  ['out', 'upstream answer read → client answer written (gateway CPU, on the critical path)'],
  ['after', 'client answer written → gateway idle (gateway CPU the client does not wait for)'],
];
console.log(`requests traced: ${phases.out.length}`);
for (const [key, what] of rows) console.log(`  ${key.padEnd(12)} ${phases[key].length ? `${median(phases[key]).toFixed(0).padStart(4)} µs` : '   - '}  ${what}`);
