// onnxruntime-node throughput on an .onnx file, for side-by-side comparison with `inceptionnext benchmark --engine onnx`.
// Usage: node ort_node_bench.js MODEL.onnx BATCH SIZE THREADS [WARMUP] [ITERS]; prints `median step: X img/s`
// (batch / median run time), last `throughput: X img/s`.
// With --serve as the first argument it is one side of paired_steps.py instead: it prints "ready", then answers each
// "run" line on stdin with one timed run's seconds.
const path = require('path');
const readline = require('readline');
const ort = require(path.join(__dirname, '../../.cache/ort-node/node_modules/onnxruntime-node'));

async function main() {
  const args = process.argv.slice(2);
  const serve = args[0] === '--serve';
  const [model, batch, size, threads, warmup = '3', iters = '10'] = serve ? args.slice(1) : args;
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Paired with another engine, our threads must not spin into its time (OrtStepServer sets the same).
    ...(serve ? { extra: { session: { force_spinning_stop: '1' } } } : {}),
  });
  const shape = [Number(batch), 3, Number(size), Number(size)];
  const data = new Float32Array(shape.reduce((a, b) => a * b));
  for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < Number(warmup); i++) await session.run(feeds);
  if (serve) {
    console.log('ready');
    for await (const line of readline.createInterface({ input: process.stdin })) {
      if (line !== 'run') break;
      const t = process.hrtime.bigint();
      await session.run(feeds);
      console.log(String(Number(process.hrtime.bigint() - t) / 1e9));
    }
    return;
  }
  const steps = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < Number(iters); i++) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    steps.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  steps.sort((a, b) => a - b);
  const n = steps.length, median = n % 2 ? steps[(n - 1) / 2] : (steps[n / 2 - 1] + steps[n / 2]) / 2;
  console.log(`onnxruntime-node ${ort.env.versions.common} model=${path.basename(model)} batch=${batch} size=${size} threads=${threads}`);
  console.log(`median step: ${(Number(batch) / median).toFixed(2)} img/s`);
  console.log(`throughput: ${(Number(batch) * Number(iters) / seconds).toFixed(2)} img/s`);
}
main().catch(e => { console.error(`error: ${e.message}`); process.exit(1); });
