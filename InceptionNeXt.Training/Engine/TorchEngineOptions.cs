namespace InceptionNeXt.Training.Engine;

/// <summary>
/// Process-wide settings <see cref="TorchEngine"/> applies once, before the first tensor. The defaults are the ones the
/// benchmarks measured; change them with <see cref="TorchEngine.Initialize"/> before any model or tensor is created.
/// </summary>
public sealed record TorchEngineOptions
{
    /// <summary>
    /// Keep freed tensor buffers in glibc's heap (<c>mallopt</c> M_MMAP_THRESHOLD and M_TRIM_THRESHOLD =
    /// <see cref="MallocThresholdBytes"/>) instead of unmapping them. libtorch allocates CPU tensors with
    /// posix_memalign; with glibc's defaults under the .NET host every large activation is a fresh mmap that faults its
    /// pages in again on each step (TorchSharp trained at 0.66-0.87x of the tuned speed). The price: RSS stays at its
    /// high-water mark. Default on, unless the environment variable <c>INCEPTIONNEXT_MALLOC_TUNING</c> is <c>0</c>.
    /// Linux with glibc only; elsewhere it does nothing.
    /// </summary>
    public bool TuneMalloc { get; init; } = Environment.GetEnvironmentVariable("INCEPTIONNEXT_MALLOC_TUNING") != "0";

    /// <summary>The mmap and trim thresholds the malloc policy sets (1 GiB: no tensor buffer is unmapped or trimmed).</summary>
    public int MallocThresholdBytes { get; init; } = 1 << 30;

    /// <summary>
    /// The highest instruction set oneDNN (libtorch's CPU convolutions) may use, as oneDNN's <c>ONEDNN_MAX_CPU_ISA</c>
    /// values (<c>AVX2</c>, <c>AVX512_CORE</c>, <c>ALL</c>...). Default: <c>AVX2</c> on AMD processors with AVX-512, whose
    /// AVX-512 convolutions in libtorch 2.10 computed wrong values (forward and gradients; README "Training on the CPU"),
    /// null (oneDNN's choice) elsewhere. An <c>ONEDNN_MAX_CPU_ISA</c> environment variable wins over this. The default is
    /// put in the environment as soon as this assembly runs; another value takes effect only if
    /// <see cref="TorchEngine.Initialize"/> gets it before the process's first convolution (oneDNN reads the cap once).
    /// </summary>
    public string? OneDnnMaxCpuIsa { get; init; } = OneDnnIsa.DefaultCap();

    /// <summary>libtorch's intra-op threads; null leaves libtorch's choice (one per physical core).</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Run the zoo's convolutions on channels-last (NHWC-strided) activations, which oneDNN computes without
    /// reordering. TorchSharp 0.107 has no memory-format argument, so the models permute their input to NHWC, make it
    /// contiguous and view it back as NCHW; libtorch keeps the layout through the network. Default on.
    /// </summary>
    public bool ChannelsLast { get; init; } = true;
}
