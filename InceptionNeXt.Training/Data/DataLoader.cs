using System.Runtime.ExceptionServices;
using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// Batches for training: worker threads load and transform whole batches while the consumer works on earlier ones.
/// <list type="bullet">
/// <item>Order: each epoch's sample order is a shuffle seeded by (Seed, epoch) (or index order); batch b holds
/// positions [b * BatchSize, (b + 1) * BatchSize) of that order; batches are delivered in index order.</item>
/// <item>Determinism: every sample's augmentation generator is seeded by (Seed, epoch, dataset index), so the
/// output depends on neither the worker count nor thread scheduling.</item>
/// <item>Failures: a sample whose <see cref="IImageDataset.Load"/> throws an <see cref="IOException"/> (including
/// <see cref="InvalidImageException"/>), <see cref="InvalidDataException"/> or <see cref="UnauthorizedAccessException"/>
/// is skipped and recorded (<see cref="SkippedCount"/>, <see cref="Skipped"/>); its batch is then SMALLER (it is not
/// refilled from later samples, which keeps batches deterministic); a batch whose samples all failed is not
/// delivered. Any other exception (a bug in a transform) ends the epoch and is rethrown to the consumer.</item>
/// <item>Memory: at most <see cref="DataLoaderOptions.Prefetch"/> batches are built or waiting at a time.</item>
/// <item>Tensors: batches are plain arrays; <see cref="Batch.ToTorchTensors"/> creates TorchSharp tensors on the consumer's thread.</item>
/// </list>
/// One epoch may be enumerated at a time. Leaving the enumeration early, cancelling its token, or disposing the
/// loader stops the workers.
/// </summary>
public sealed class DataLoader : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private readonly List<SkippedSample> _skipped = [];
    private long _skippedCount;
    private int _running;
    private int _peakPrefetched;

    /// <summary>Creates the loader (no threads start until an epoch is enumerated).</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="transform">Per-sample transform (thread-safe: it is called from several workers at once).</param>
    /// <param name="options">Batch size, workers, prefetch, shuffle, seed.</param>
    public DataLoader(IImageDataset dataset, IImageTransform transform, DataLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1, nameof(options.Workers));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Prefetch, 1, nameof(options.Prefetch));
        Dataset = dataset;
        Transform = transform;
        Options = options;
    }

    /// <summary>The samples.</summary>
    public IImageDataset Dataset { get; }

    /// <summary>The per-sample transform.</summary>
    public IImageTransform Transform { get; }

    /// <summary>The settings.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>Batches per epoch (before skipped-sample effects): floor or ceil of Count / BatchSize per <see cref="DataLoaderOptions.DropLast"/>.</summary>
    public int BatchesPerEpoch => Options.DropLast ? Dataset.Count / Options.BatchSize : (Dataset.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>Samples skipped so far, over all epochs.</summary>
    public long SkippedCount => Interlocked.Read(ref _skippedCount);

    /// <summary>The most batches observed finished and waiting for the consumer at once (diagnostic of the prefetch bound).</summary>
    public int PeakPrefetched => Volatile.Read(ref _peakPrefetched);

    /// <summary>Every skipped sample so far, ordered by epoch and dataset index.</summary>
    public IReadOnlyList<SkippedSample> Skipped
    {
        get
        {
            lock (_skipped)
            {
                return _skipped.OrderBy(s => s.Epoch).ThenBy(s => s.Index).ToArray();
            }
        }
    }

    /// <summary>The skipped samples of one epoch, ordered by dataset index (a per-epoch report).</summary>
    /// <param name="epoch">The epoch.</param>
    public IReadOnlyList<SkippedSample> SkippedInEpoch(int epoch) => Skipped.Where(s => s.Epoch == epoch).ToArray();

    /// <summary>The sample order of <paramref name="epoch"/> (dataset indices).</summary>
    /// <param name="epoch">The epoch.</param>
    public int[] GetEpochOrder(int epoch)
    {
        int[] order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (Options.Shuffle)
        {
            new Random(RandomExtensions.MixSeed(Options.Seed, epoch, -1)).Shuffle(order);
        }

        return order;
    }

    /// <summary>The generator of sample <paramref name="index"/> in <paramref name="epoch"/>.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="index">The dataset index.</param>
    public Random CreateSampleRandom(int epoch, int index) => new(RandomExtensions.MixSeed(Options.Seed, epoch, index, 0x5A));

    /// <summary>Enumerates the batches of <paramref name="epoch"/>; workers start on the first MoveNext.</summary>
    /// <param name="epoch">The epoch (seeds the shuffle and augmentations).</param>
    /// <param name="cancellationToken">Stops the workers; the enumeration then throws <see cref="OperationCanceledException"/>.</param>
    public IEnumerable<Batch> GetEpoch(int epoch, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        return Iterate(epoch, cancellationToken);
    }

    /// <summary>Stops any running workers (they check between samples); a consumer blocked on the next batch gets <see cref="OperationCanceledException"/>.</summary>
    public void Dispose()
    {
        if (!_disposed.IsCancellationRequested)
        {
            _disposed.Cancel();
        }
    }

    private IEnumerable<Batch> Iterate(int epoch, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _running, 1, 0) != 0)
        {
            throw new InvalidOperationException("Another epoch of this DataLoader is being enumerated.");
        }

        var run = new EpochRun(this, epoch, cancellationToken);
        try
        {
            for (int b = 0; b < run.BatchCount; b++)
            {
                Batch? batch = run.Take(b);
                if (batch is not null)
                {
                    yield return batch;
                }
            }
        }
        finally
        {
            run.Dispose();
            Volatile.Write(ref _running, 0);
        }
    }

    private static bool IsLoadFailure(Exception e) => e is IOException or InvalidDataException or UnauthorizedAccessException;

    /// <summary>One epoch's workers and hand-over state.</summary>
    private sealed class EpochRun : IDisposable
    {
        private readonly DataLoader _loader;
        private readonly int _epoch;
        private readonly int[] _order;
        private readonly CancellationTokenSource _cts;
        private readonly SemaphoreSlim _slots;
        private readonly Dictionary<int, Batch?> _ready = [];
        private readonly Thread[] _threads;
        private ExceptionDispatchInfo? _error;
        private int _nextBatch = -1;

        public EpochRun(DataLoader loader, int epoch, CancellationToken token)
        {
            _loader = loader;
            _epoch = epoch;
            _order = loader.GetEpochOrder(epoch);
            BatchCount = loader.BatchesPerEpoch;
            _cts = CancellationTokenSource.CreateLinkedTokenSource(token, loader._disposed.Token);
            _slots = new SemaphoreSlim(loader.Options.Prefetch, loader.Options.Prefetch);
            _threads = new Thread[loader.Options.Workers];
            for (int i = 0; i < _threads.Length; i++)
            {
                _threads[i] = new Thread(Work) { IsBackground = true, Name = $"DataLoader worker {i}" };
                _threads[i].Start();
            }
        }

        public int BatchCount { get; }

        public Batch? Take(int b)
        {
            lock (_ready)
            {
                while (true)
                {
                    _error?.Throw();
                    if (_ready.Remove(b, out Batch? batch))
                    {
                        _slots.Release();
                        return batch;
                    }

                    _cts.Token.ThrowIfCancellationRequested();
                    Monitor.Wait(_ready, 50);
                }
            }
        }

        public void Dispose()
        {
            _cts.Cancel();
            foreach (Thread t in _threads)
            {
                t.Join();
            }

            _cts.Dispose();
            _slots.Dispose();
        }

        private void Work()
        {
            CancellationToken token = _cts.Token;
            try
            {
                while (true)
                {
                    _slots.Wait(token);
                    int b = Interlocked.Increment(ref _nextBatch);
                    if (b >= BatchCount)
                    {
                        _slots.Release();
                        return;
                    }

                    Batch? batch = Build(b, token);
                    lock (_ready)
                    {
                        _ready[b] = batch;
                        int pending = _ready.Count;
                        if (pending > _loader._peakPrefetched)
                        {
                            _loader._peakPrefetched = pending;
                        }

                        Monitor.PulseAll(_ready);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                lock (_ready)
                {
                    _error ??= ExceptionDispatchInfo.Capture(e);
                    Monitor.PulseAll(_ready);
                }
            }
        }

        private Batch? Build(int b, CancellationToken token)
        {
            DataLoaderOptions o = _loader.Options;
            int start = b * o.BatchSize;
            int end = Math.Min(start + o.BatchSize, _order.Length);
            int size = _loader.Transform.OutputSize;
            int sampleLength = 3 * size * size;
            var images = new float[(end - start) * sampleLength];
            var labels = new int[end - start];
            var indices = new int[end - start];
            int count = 0;
            for (int p = start; p < end; p++)
            {
                token.ThrowIfCancellationRequested();
                int index = _order[p];
                RgbImage image;
                try
                {
                    image = _loader.Dataset.Load(index);
                }
                catch (Exception e) when (IsLoadFailure(e))
                {
                    Interlocked.Increment(ref _loader._skippedCount);
                    lock (_loader._skipped)
                    {
                        _loader._skipped.Add(new SkippedSample(_epoch, index, _loader.Dataset.GetName(index), e.Message));
                    }

                    continue;
                }

                _loader.Transform.Apply(image, _loader.CreateSampleRandom(_epoch, index), images.AsSpan(count * sampleLength, sampleLength));
                labels[count] = _loader.Dataset.GetLabel(index);
                indices[count] = index;
                count++;
            }

            if (count == 0)
            {
                return null;
            }

            if (count < labels.Length)
            {
                Array.Resize(ref images, count * sampleLength);
                Array.Resize(ref labels, count);
                Array.Resize(ref indices, count);
            }

            return new Batch(b, size, images, labels, indices);
        }
    }
}
