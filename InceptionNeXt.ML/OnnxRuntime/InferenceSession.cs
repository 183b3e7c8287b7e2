using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>
/// A loaded ONNX model (<c>OrtSession</c>) ready to run. <see cref="Run(ReadOnlySpan{NamedTensor})"/> may be called from
/// many threads at once: the session keeps no per-run state (ONNX Runtime sessions are thread-safe for Run), and each
/// run pins the session and its tensors so that a concurrent <see cref="Dispose"/> cannot free them mid-run.
/// </summary>
/// <remarks>
/// Inputs are checked against the model's metadata before ONNX Runtime is called: unknown or repeated names,
/// missing inputs, element types, ranks and fixed dimensions each raise an <see cref="ArgumentException"/> naming the
/// input with the expected and the actual shape. Pre-bound outputs are checked the same way.
/// </remarks>
public sealed unsafe class InferenceSession : IDisposable
{
    private readonly OrtApi _api;
    private readonly OrtSessionHandle _handle;
    private readonly NodeMetadata[] _inputs;
    private readonly NodeMetadata[] _outputs;
    private readonly Dictionary<string, int> _inputIndex;
    private readonly Dictionary<string, int> _outputIndex;

    /// <summary>Loads the model at <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">An .onnx file.</param>
    /// <param name="options">Session settings; null for ONNX Runtime's defaults. Copied: it may be disposed afterwards.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime rejected the file (not ONNX, corrupt, unsupported); the message names the file.</exception>
    /// <exception cref="DllNotFoundException">The native library could not be found.</exception>
    public InferenceSession(string modelPath, SessionOptions? options = null)
        : this(ResolvePath(modelPath), default, options)
    {
    }

    /// <summary>Loads a model from its serialized bytes (copied by ONNX Runtime during the call).</summary>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime rejected the bytes.</exception>
    public InferenceSession(byte[] model, SessionOptions? options = null)
        : this(null, (model ?? throw new ArgumentNullException(nameof(model))).AsMemory(), options)
    {
    }

    /// <summary>Loads a model from its serialized bytes (copied by ONNX Runtime during the call).</summary>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime rejected the bytes.</exception>
    public InferenceSession(ReadOnlyMemory<byte> model, SessionOptions? options = null)
        : this(null, model, options)
    {
    }

    private InferenceSession(string? path, ReadOnlyMemory<byte> model, SessionOptions? options)
    {
        OrtEnvironment env = OrtEnvironment.Instance;
        _api = OrtApi.Instance;
        ModelPath = path;
        _handle = new OrtSessionHandle(CreateNative(_api, env, path, model, options));
        try
        {
            nint session = _handle.DangerousGetHandle();
            (_inputs, _handle.InputNames) = ReadNodes(session, input: true);
            (_outputs, _handle.OutputNames) = ReadNodes(session, input: false);
            ModelMetadata = ModelMetadata.Read(_api, session);
        }
        catch
        {
            _handle.Dispose();
            throw;
        }

        _inputIndex = _inputs.Select((n, i) => (n.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        _outputIndex = _outputs.Select((n, i) => (n.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        InputMetadata = Array.AsReadOnly(_inputs);
        OutputMetadata = Array.AsReadOnly(_outputs);
        InputNames = Array.AsReadOnly(_inputs.Select(n => n.Name).ToArray());
        OutputNames = Array.AsReadOnly(_outputs.Select(n => n.Name).ToArray());
    }

    /// <summary>The full path of the model file, or null when loaded from memory.</summary>
    public string? ModelPath { get; }

    /// <summary>The model's inputs, in model order.</summary>
    public IReadOnlyList<NodeMetadata> InputMetadata { get; }

    /// <summary>The model's outputs, in model order.</summary>
    public IReadOnlyList<NodeMetadata> OutputMetadata { get; }

    /// <summary>The input names, in model order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The output names, in model order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Producer, graph name, description and custom metadata of the model.</summary>
    public ModelMetadata ModelMetadata { get; }

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Runs the model and returns every output, in model order, in buffers ONNX Runtime allocates.</summary>
    /// <param name="inputs">One tensor per model input, in any order.</param>
    /// <returns>The outputs; dispose them to release their buffers.</returns>
    /// <exception cref="ArgumentException">An input name, count, element type or shape does not match the model.</exception>
    /// <exception cref="ObjectDisposedException">The session or an input tensor was disposed.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed to run the model.</exception>
    public OrtRunResults Run(ReadOnlySpan<NamedTensor> inputs)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        int n = _outputs.Length;
        Span<int> outputIndices = n <= 64 ? stackalloc int[n] : new int[n];
        for (int i = 0; i < n; i++)
        {
            outputIndices[i] = i;
        }

        return RunAllocating(inputs, outputIndices);
    }

    /// <summary>Runs the model and returns the named outputs, in the order given, in buffers ONNX Runtime allocates.</summary>
    /// <param name="inputs">One tensor per model input, in any order.</param>
    /// <param name="outputNames">The outputs wanted (each at most once).</param>
    /// <returns>The outputs; dispose them to release their buffers.</returns>
    /// <exception cref="ArgumentException">An input does not match the model, or an output name is unknown or repeated.</exception>
    /// <exception cref="ObjectDisposedException">The session or an input tensor was disposed.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed to run the model.</exception>
    public OrtRunResults Run(ReadOnlySpan<NamedTensor> inputs, ReadOnlySpan<string> outputNames)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (outputNames.Length == 0)
        {
            throw new ArgumentException("At least one output must be requested.", nameof(outputNames));
        }

        if (outputNames.Length > _outputs.Length)
        {
            ValidateOutputNames(outputNames, new int[outputNames.Length]);
        }

        Span<int> outputIndices = stackalloc int[outputNames.Length];
        ValidateOutputNames(outputNames, outputIndices);
        return RunAllocating(inputs, outputIndices);
    }

    /// <summary>
    /// Runs the model writing the outputs into caller-provided tensors (typically <see cref="OrtTensor.Create{T}(T[], ReadOnlySpan{long})"/>
    /// over arrays reused across calls), so a hot loop allocates no output buffers. Only the outputs listed are computed.
    /// </summary>
    /// <param name="inputs">One tensor per model input, in any order.</param>
    /// <param name="outputs">Pre-bound outputs: each name at most once, with the element type and the exact shape the run produces.</param>
    /// <exception cref="ArgumentException">An input or output does not match the model.</exception>
    /// <exception cref="ObjectDisposedException">The session or a tensor was disposed.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed (e.g. an output's shape differs from what the run produced).</exception>
    public void Run(ReadOnlySpan<NamedTensor> inputs, ReadOnlySpan<NamedTensor> outputs)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (outputs.Length == 0)
        {
            throw new ArgumentException("At least one output tensor must be given.", nameof(outputs));
        }

        if (outputs.Length > _outputs.Length)
        {
            ValidateBoundOutputs(outputs, new int[outputs.Length]);
        }

        Span<int> inputIndices = CheckInputs(inputs, stackalloc int[Math.Min(inputs.Length, _inputs.Length)]);
        Span<int> outputIndices = stackalloc int[outputs.Length];
        ValidateBoundOutputs(outputs, outputIndices);
        CheckSymbolicDimensions(inputs, inputIndices, outputs, outputIndices);
        nint* values = stackalloc nint[outputs.Length];
        RunNative(inputs, inputIndices, outputIndices, outputs, values);
    }

    /// <summary>Releases the native session; safe to call more than once. Runs in progress finish first.</summary>
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc/>
    public override string ToString() =>
        $"InferenceSession({ModelPath ?? "<memory>"}; inputs: {string.Join(", ", _inputs.Select(n => n.ToString()))}; outputs: {string.Join(", ", _outputs.Select(n => n.ToString()))})";

    private OrtRunResults RunAllocating(ReadOnlySpan<NamedTensor> inputs, ReadOnlySpan<int> outputIndices)
    {
        Span<int> inputIndices = CheckInputs(inputs, stackalloc int[Math.Min(inputs.Length, _inputs.Length)]);
        int n = outputIndices.Length;
        nint* values = stackalloc nint[n];
        new Span<nint>(values, n).Clear();
        RunNative(inputs, inputIndices, outputIndices, default, values);

        var results = new NamedTensor[n];
        int wrapped = 0;
        try
        {
            for (; wrapped < n; wrapped++)
            {
                string name = _outputs[outputIndices[wrapped]].Name;
                nint value = values[wrapped];
                values[wrapped] = 0;
                results[wrapped] = new NamedTensor(name, OrtTensor.FromRuntimeValue(_api, value, name));
            }
        }
        catch
        {
            for (int i = 0; i < wrapped; i++)
            {
                results[i].Tensor.Dispose();
            }

            for (int i = wrapped; i < n; i++)
            {
                if (values[i] != 0)
                {
                    _api.ReleaseValue(values[i]);
                }
            }

            throw;
        }

        return new OrtRunResults(results);
    }

    /// <summary>Calls OrtApi::Run holding references on the session and every tensor. No managed allocation.</summary>
    private void RunNative(
        ReadOnlySpan<NamedTensor> inputs, ReadOnlySpan<int> inputIndices, ReadOnlySpan<int> outputIndices, ReadOnlySpan<NamedTensor> boundOutputs, nint* outputValues)
    {
        int inputCount = inputs.Length;
        int outputCount = outputIndices.Length;
        byte** inputNames = stackalloc byte*[inputCount];
        nint* inputValues = stackalloc nint[inputCount];
        byte** outputNames = stackalloc byte*[outputCount];
        bool sessionAdded = false;
        int inputsAdded = 0;
        int outputsAdded = 0;
        try
        {
            _handle.DangerousAddRef(ref sessionAdded);
            nint[] modelInputNames = _handle.InputNames;
            nint[] modelOutputNames = _handle.OutputNames;
            for (int i = 0; i < inputCount; i++)
            {
                OrtValueHandle value = inputs[i].Tensor.Handle;
                bool added = false;
                value.DangerousAddRef(ref added);
                inputsAdded++;
                inputValues[i] = value.DangerousGetHandle();
                inputNames[i] = (byte*)modelInputNames[inputIndices[i]];
            }

            for (int i = 0; i < outputCount; i++)
            {
                outputNames[i] = (byte*)modelOutputNames[outputIndices[i]];
                if (!boundOutputs.IsEmpty)
                {
                    OrtValueHandle value = boundOutputs[i].Tensor.Handle;
                    bool added = false;
                    value.DangerousAddRef(ref added);
                    outputsAdded++;
                    outputValues[i] = value.DangerousGetHandle();
                }
            }

            nint status = _api.Run(
                _handle.DangerousGetHandle(), 0, inputNames, inputValues, (nuint)inputCount, outputNames, (nuint)outputCount, outputValues);
            if (status != 0)
            {
                throw _api.ToException(status, $"Running the model{(ModelPath is null ? string.Empty : $" '{ModelPath}'")} failed");
            }
        }
        finally
        {
            for (int i = 0; i < inputsAdded; i++)
            {
                inputs[i].Tensor.Handle.DangerousRelease();
            }

            for (int i = 0; i < outputsAdded; i++)
            {
                boundOutputs[i].Tensor.Handle.DangerousRelease();
            }

            if (sessionAdded)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>Validates the inputs and returns their model indices (in <paramref name="buffer"/> unless there are too many inputs).</summary>
    private Span<int> CheckInputs(ReadOnlySpan<NamedTensor> inputs, Span<int> buffer)
    {
        if (inputs.Length > _inputs.Length)
        {
            // Too many: an unknown or repeated name is reported below (the buffer is then big enough to find it).
            buffer = new int[inputs.Length];
        }

        Span<int> indices = buffer[..inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            (string name, OrtTensor tensor) = inputs[i];
            if (name is null)
            {
                throw new ArgumentException($"Input #{i} has no name; the model's inputs are {ListNames(_inputs)}.", nameof(inputs));
            }

            if (!_inputIndex.TryGetValue(name, out int index))
            {
                throw new ArgumentException($"The model has no input '{name}'; its inputs are {ListNames(_inputs)}.", nameof(inputs));
            }

            for (int j = 0; j < i; j++)
            {
                if (indices[j] == index)
                {
                    throw new ArgumentException($"Input '{name}' is given more than once.", nameof(inputs));
                }
            }

            indices[i] = index;
            CheckTensor("input", _inputs[index], tensor, nameof(inputs));
        }

        if (inputs.Length != _inputs.Length)
        {
            var given = new HashSet<int>(indices.ToArray());
            string missing = string.Join(", ", _inputs.Where((_, k) => !given.Contains(k)).Select(m => $"'{m.Name}' {m.DescribeShape()}"));
            throw new ArgumentException(
                $"The model expects {_inputs.Length} input(s) ({ListNames(_inputs)}) but got {inputs.Length}; missing: {missing}.", nameof(inputs));
        }

        return indices;
    }

    private void ValidateOutputNames(ReadOnlySpan<string> names, Span<int> indices)
    {
        for (int i = 0; i < names.Length; i++)
        {
            indices[i] = OutputIndex(names[i], i, indices, nameof(names));
        }
    }

    private void ValidateBoundOutputs(ReadOnlySpan<NamedTensor> outputs, Span<int> indices)
    {
        for (int i = 0; i < outputs.Length; i++)
        {
            (string name, OrtTensor tensor) = outputs[i];
            int index = OutputIndex(name, i, indices, nameof(outputs));
            indices[i] = index;
            CheckTensor("output", _outputs[index], tensor, nameof(outputs));
        }
    }

    /// <summary>
    /// A pre-bound output's dynamic dimension that shares its symbolic name with an input's (e.g. "batch") must have
    /// the size the input gives it; ONNX Runtime would otherwise fail mid-run.
    /// </summary>
    private void CheckSymbolicDimensions(
        ReadOnlySpan<NamedTensor> inputs, ReadOnlySpan<int> inputIndices, ReadOnlySpan<NamedTensor> outputs, ReadOnlySpan<int> outputIndices)
    {
        for (int o = 0; o < outputs.Length; o++)
        {
            NodeMetadata output = _outputs[outputIndices[o]];
            ReadOnlySpan<long> outputShape = outputs[o].Tensor.Shape;
            for (int d = 0; d < output.SymbolicDimensionsSpan.Length && d < outputShape.Length; d++)
            {
                string symbol = output.SymbolicDimensionsSpan[d];
                if (symbol.Length == 0)
                {
                    continue;
                }

                for (int i = 0; i < inputs.Length; i++)
                {
                    NodeMetadata input = _inputs[inputIndices[i]];
                    int k = input.SymbolicDimensionsSpan.IndexOf(symbol);
                    if (k >= 0 && k < inputs[i].Tensor.Shape.Length && inputs[i].Tensor.Shape[k] != outputShape[d])
                    {
                        throw new ArgumentException(
                            $"Output '{output.Name}' expects {output.DescribeShape()} with {symbol} = {inputs[i].Tensor.Shape[k]} (from input '{input.Name}' " +
                            $"{NodeMetadata.FormatShape(inputs[i].Tensor.Shape)}) but got {NodeMetadata.FormatShape(outputShape)}.",
                            nameof(outputs));
                    }
                }
            }
        }
    }

    private int OutputIndex(string? name, int position, ReadOnlySpan<int> earlier, string paramName)
    {
        if (name is null)
        {
            throw new ArgumentException($"Output #{position} has no name; the model's outputs are {ListNames(_outputs)}.", paramName);
        }

        if (!_outputIndex.TryGetValue(name, out int index))
        {
            throw new ArgumentException($"The model has no output '{name}'; its outputs are {ListNames(_outputs)}.", paramName);
        }

        for (int j = 0; j < position; j++)
        {
            if (earlier[j] == index)
            {
                throw new ArgumentException($"Output '{name}' is requested more than once.", paramName);
            }
        }

        return index;
    }

    private static void CheckTensor(string kind, NodeMetadata expected, OrtTensor? tensor, string paramName)
    {
        if (tensor is null)
        {
            throw new ArgumentException($"The tensor for {kind} '{expected.Name}' is null.", paramName);
        }

        ObjectDisposedException.ThrowIf(tensor.IsDisposed, tensor);
        if (!expected.IsTensor)
        {
            throw new ArgumentException($"The model's {kind} '{expected.Name}' is not a tensor; only tensor {kind}s are supported.", paramName);
        }

        if (tensor.ElementType != expected.ElementType)
        {
            throw new ArgumentException(
                $"{Capitalize(kind)} '{expected.Name}' expects {expected.ElementType} elements but got {tensor.ElementType} " +
                $"(expected shape {expected.DescribeShape()}, got {NodeMetadata.FormatShape(tensor.Shape)}).",
                paramName);
        }

        ReadOnlySpan<long> dims = expected.DimensionsSpan;
        ReadOnlySpan<long> shape = tensor.Shape;

        // A rank of 0 in the metadata also means "shape unknown"; leave that case to ONNX Runtime.
        if (dims.Length == 0)
        {
            return;
        }

        bool matches = dims.Length == shape.Length;
        for (int d = 0; matches && d < dims.Length; d++)
        {
            matches = dims[d] < 0 || dims[d] == shape[d];
        }

        if (!matches)
        {
            string rank = dims.Length == shape.Length ? string.Empty : $"; rank {shape.Length} instead of {dims.Length}";
            throw new ArgumentException(
                $"{Capitalize(kind)} '{expected.Name}' expects {expected.DescribeShape()} but got {NodeMetadata.FormatShape(shape)}{rank}.", paramName);
        }
    }

    private static string Capitalize(string kind) => char.ToUpperInvariant(kind[0]) + kind[1..];

    private static string ListNames(NodeMetadata[] nodes) =>
        nodes.Length == 0 ? "(none)" : string.Join(", ", nodes.Select(n => $"'{n.Name}' {n.ElementType} {n.DescribeShape()}"));

    private static string ResolvePath(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        string full = Path.GetFullPath(modelPath);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"The ONNX model file '{full}' does not exist.", full);
        }

        return full;
    }

    private static nint CreateNative(OrtApi api, OrtEnvironment env, string? path, ReadOnlyMemory<byte> model, SessionOptions? options)
    {
        SessionOptions? defaults = options is null ? new SessionOptions() : null;
        OrtSessionOptionsHandle optionsHandle = (options ?? defaults!).Handle;
        bool added = false;
        try
        {
            optionsHandle.DangerousAddRef(ref added);
            nint envHandle = env.Handle.DangerousGetHandle();
            nint nativeOptions = optionsHandle.DangerousGetHandle();
            nint session = 0;
            nint status;
            if (path is not null)
            {
                if (OperatingSystem.IsWindows())
                {
                    fixed (char* p = path)
                    {
                        status = api.CreateSession(envHandle, p, nativeOptions, &session);
                    }
                }
                else
                {
                    byte[] utf8 = Encoding.UTF8.GetBytes(path + "\0");
                    fixed (byte* p = utf8)
                    {
                        status = api.CreateSession(envHandle, p, nativeOptions, &session);
                    }
                }
            }
            else
            {
                using MemoryHandle pin = model.Pin();
                status = api.CreateSessionFromArray(envHandle, pin.Pointer, (nuint)model.Length, nativeOptions, &session);
            }

            if (status != 0)
            {
                OnnxRuntimeException e = api.ToException(status, null);
                string what = path is null ? $"from memory ({model.Length} bytes)" : $"'{path}'";
                throw new OnnxRuntimeException(
                    e.ErrorCode, $"Failed to load the ONNX model {what}: {e.RuntimeMessage.Trim()}", e.RuntimeMessage, e);
            }

            return session;
        }
        finally
        {
            if (added)
            {
                optionsHandle.DangerousRelease();
            }

            defaults?.Dispose();
        }
    }

    private (NodeMetadata[] Nodes, nint[] Names) ReadNodes(nint session, bool input)
    {
        nuint count;
        _api.Check(input ? _api.SessionGetInputCount(session, &count) : _api.SessionGetOutputCount(session, &count));
        var nodes = new NodeMetadata[(int)count];
        var names = new nint[(int)count];
        try
        {
            for (int i = 0; i < nodes.Length; i++)
            {
                byte* name;
                _api.Check(input
                    ? _api.SessionGetInputName(session, (nuint)i, _api.DefaultAllocator, &name)
                    : _api.SessionGetOutputName(session, (nuint)i, _api.DefaultAllocator, &name));
                names[i] = (nint)name;
                nint typeInfo;
                _api.Check(input ? _api.SessionGetInputTypeInfo(session, (nuint)i, &typeInfo) : _api.SessionGetOutputTypeInfo(session, (nuint)i, &typeInfo));
                try
                {
                    nodes[i] = NodeMetadata.FromTypeInfo(_api, Marshal.PtrToStringUTF8((nint)name) ?? string.Empty, typeInfo);
                }
                finally
                {
                    _api.ReleaseTypeInfo(typeInfo);
                }
            }
        }
        catch
        {
            foreach (nint name in names)
            {
                if (name != 0)
                {
                    _ = _api.AllocatorFree(_api.DefaultAllocator, (void*)name);
                }
            }

            throw;
        }

        return (nodes, names);
    }
}
