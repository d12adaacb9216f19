// The floor for any Node gateway on this machine: node:http in, undici out, the request body
// piped to the upstream untouched and the answer relayed as is. No auth, no parsing, no
// validation. Benchmarked with the same harness as Iris (`BASELINE=bare bench/core-bench.sh`)
// it shows how much of Iris's added latency is Node's HTTP plumbing on this hardware.
//
//   node bench/bare-proxy.mjs [port] [upstream origin]
import http from 'node:http';
import { Pool } from 'undici';

const port = Number(process.argv[2] ?? 18089);
const upstream = process.argv[3] ?? 'http://127.0.0.1:18080';
const pool = new Pool(upstream, { connections: 256 });

http
  .createServer((req, res) => {
    let resume = null;
    pool.dispatch(
      {
        path: req.url,
        method: req.method,
        headers: { 'content-type': 'application/json', 'content-length': req.headers['content-length'], authorization: 'Bearer bare' },
        body: req,
      },
      {
        onConnect(abort) {
          // A client that leaves before its answer is complete cancels the upstream request.
          res.once('close', () => {
            if (!res.writableFinished) abort(new Error('client closed'));
          });
        },
        onHeaders(status, rawHeaders, resumeUpstream) {
          resume = resumeUpstream;
          const headers = {};
          for (let i = 0; i < rawHeaders.length; i += 2) {
            const name = rawHeaders[i].toString().toLowerCase();
            if (name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding') headers[name] = rawHeaders[i + 1].toString();
          }
          res.writeHead(status, headers);
          return true;
        },
        onData(chunk) {
          if (res.write(chunk)) return true;
          // Back-pressure: undici pauses this upstream socket until resume() is called.
          res.once('drain', resume);
          return false;
        },
        onComplete() {
          res.end();
        },
        onError(err) {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: String(err.message), type: 'upstream_error', param: null, code: null } }));
        },
      },
    );
  })
  .listen(port, '127.0.0.1', () => console.log(`bare proxy on http://127.0.0.1:${port} -> ${upstream}`));

process.on('SIGTERM', () => process.exit(0));
