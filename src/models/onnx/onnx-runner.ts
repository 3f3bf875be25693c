/**
 * `--engine onnx`: runs generator.onnx with onnxruntime-node (its CPU execution provider, the
 * prebuilt binary shipped inside the npm package; `.npmrc` sets onnxruntime-node-install=skip so
 * nothing is downloaded at install).
 *
 * onnxruntime-node's API is asynchronous (InferenceSession.create and run return promises)
 * while sampling is synchronous (sampleModel returns a Table). The session therefore lives in a
 * worker thread and the caller waits for each reply with Atomics.wait on a shared counter, then
 * takes the reply with receiveMessageOnPort: a synchronous facade over the public API (the
 * technique of the `synckit` package), without touching onnxruntime-node internals. Inputs and
 * outputs cross the thread boundary as float32 arrays, one message per chunk of rows.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { HemasynthError, UsageError } from '../../errors';
import type { GeneratorNetworkSpec, NetworkRunner } from '../neural/generator-network';

/** Longest wait for one ONNX call before giving up (ms). */
export const ONNX_CALL_TIMEOUT_MS = 10 * 60 * 1000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.flag);
const port = workerData.port;
let ort = null;
let session = null;
async function handle(msg) {
  try {
    if (msg.kind === 'load') {
      ort = require(workerData.ortPath);
      const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
      if (msg.threads > 0) options.intraOpNumThreads = msg.threads;
      session = await ort.InferenceSession.create(msg.model, options);
      port.postMessage({ ok: true, inputs: session.inputNames, outputs: session.outputNames });
    } else if (msg.kind === 'run') {
      const feeds = {};
      for (const f of msg.feeds) feeds[f.name] = new ort.Tensor('float32', f.data, [f.rows, f.width]);
      const out = await session.run(feeds);
      const raw = out.raw;
      // Transferred, not cloned: a chunk's output is 16,384 rows x ~1,800 floats (115 MB), and a
      // clone's copy and first-touch page faults cost as much as the network. A buffer that
      // cannot be transferred (one onnxruntime owns) is cloned.
      try {
        port.postMessage({ ok: true, data: raw.data, dims: raw.dims }, [raw.data.buffer]);
      } catch (e) {
        port.postMessage({ ok: true, data: raw.data, dims: raw.dims });
      }
    }
  } catch (e) {
    port.postMessage({ ok: false, error: String((e && e.message) || e) });
  }
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}
port.on('message', (m) => { handle(m); });
`;

/** A synchronous onnxruntime-node session in a worker thread. */
class OnnxWorkerSession {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;

  constructor(model: Uint8Array, threads: number) {
    let ortPath: string;
    try {
      ortPath = require.resolve('onnxruntime-node');
    } catch {
      throw new UsageError('Expected the onnxruntime-node package for --engine onnx but received none installed; run npm install or use --engine native');
    }
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { flag: this.flag.buffer, port: port2, ortPath }, transferList: [port2] });
    this.worker.unref();
    const r = this.call({ kind: 'load', model, threads }) as { inputs: string[]; outputs: string[] };
    if (!r.outputs.includes('raw')) throw new HemasynthError(`Expected generator.onnx to have an output named "raw" but received outputs ${JSON.stringify(r.outputs)}`);
    this.inputs = r.inputs;
  }

  readonly inputs: string[];

  call(msg: Record<string, unknown>): Record<string, unknown> {
    const before = Atomics.load(this.flag, 0);
    this.port.postMessage(msg);
    const waited = Atomics.wait(this.flag, 0, before, ONNX_CALL_TIMEOUT_MS);
    if (waited === 'timed-out') {
      this.close();
      throw new HemasynthError(`onnxruntime-node did not answer within ${ONNX_CALL_TIMEOUT_MS / 1000} s`);
    }
    const reply = receiveMessageOnPort(this.port);
    const m = reply?.message as { ok: boolean; error?: string } | undefined;
    if (!m) throw new HemasynthError('onnxruntime-node worker signalled a reply but sent none');
    if (!m.ok) throw new HemasynthError(`onnxruntime-node failed: ${m.error}`);
    return m as unknown as Record<string, unknown>;
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

/**
 * A runner over generator.onnx with the same contract as the native runner.
 * @example onnxRunner(model.files['generator.onnx'], network, 2).run([noise], rows)
 */
export function onnxRunner(bytes: Uint8Array | undefined, net: GeneratorNetworkSpec, threads: number): NetworkRunner {
  if (!bytes || bytes.length === 0) throw new UsageError('Expected a model bundle with generator.onnx for --engine onnx but received one without it; use --engine native');
  const session = new OnnxWorkerSession(bytes, threads);
  const missing = net.inputs.filter((i) => !session.inputs.includes(i.name));
  if (missing.length) {
    session.close();
    throw new UsageError(`Expected generator.onnx inputs ${net.inputs.map((i) => i.name).join(', ')} but received ${session.inputs.join(', ')}`);
  }
  return {
    run(inputs, rows) {
      if (inputs.length !== net.inputs.length) throw new UsageError(`Expected ${net.inputs.length} ONNX inputs but received ${inputs.length}`);
      const feeds = net.inputs.map((i, k) => {
        if (inputs[k].length !== rows * i.width) throw new UsageError(`Expected ${rows * i.width} values for ONNX input ${i.name} but received ${inputs[k].length}`);
        return { name: i.name, data: inputs[k], rows, width: i.width };
      });
      const r = session.call({ kind: 'run', feeds }) as { data: Float32Array; dims: number[] };
      // The array was created in the worker's realm: check its kind by tag, not instanceof.
      const d = r.data;
      if (!ArrayBuffer.isView(d) || Object.prototype.toString.call(d) !== '[object Float32Array]' || d.length !== rows * net.outputWidth) {
        throw new HemasynthError(`Expected ${rows}×${net.outputWidth} float32 values from generator.onnx but received ${Object.prototype.toString.call(d)} of length ${(d as { length?: number })?.length}`);
      }
      return new Float32Array(d.buffer, d.byteOffset, d.length);
    },
    close() {
      session.close();
    },
  };
}
