namespace InceptionNeXt.Training.Checkpoints;

/// <summary>One storage record of a .pth zip (<c>data/KEY</c>): a flat buffer of <see cref="Numel"/> elements that tensors view.</summary>
internal sealed class TorchStorage(string key, TensorDType dtype, byte[] bytes)
{
    public string Key { get; } = key;

    public TensorDType DType { get; } = dtype;

    public byte[] Bytes { get; } = bytes;

    public long Numel => Bytes.LongLength / DType.ElementSize();

    /// <summary>
    /// Materialises <c>storage.as_strided(size, stride, offset)</c> as a contiguous tensor, checking that every
    /// element it reaches lies inside the storage.
    /// </summary>
    public TensorData View(long offset, long[] size, long[] stride, string file)
    {
        if (size.Length != stride.Length)
        {
            throw CheckpointErrors.Format(file, $"tensor on storage '{Key}' has {size.Length} sizes but {stride.Length} strides.");
        }

        long numel = TensorData.ComputeNumel(size)
            ?? throw CheckpointErrors.Format(file, $"tensor on storage '{Key}' has an invalid size [{string.Join(", ", size)}].");
        if (offset < 0 || offset > Numel)
        {
            throw CheckpointErrors.Format(file, $"tensor offset {offset} is outside storage '{Key}' of {Numel} elements.");
        }

        int es = DType.ElementSize();
        if (numel == 0)
        {
            return new TensorData(DType, size, []);
        }

        long last = offset;
        for (int i = 0; i < size.Length; i++)
        {
            if (size[i] == 1)
            {
                continue;
            }

            if (stride[i] < 0)
            {
                throw CheckpointErrors.Format(file, $"tensor on storage '{Key}' has a negative stride {stride[i]}.");
            }

            try
            {
                last = checked(last + ((size[i] - 1) * stride[i]));
            }
            catch (OverflowException)
            {
                last = long.MaxValue;
            }
        }

        if (last >= Numel)
        {
            throw CheckpointErrors.Format(file, $"tensor of size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}] and offset {offset} reads element {last} of storage '{Key}', which has only {Numel} elements.");
        }

        if (numel * es > Array.MaxLength)
        {
            throw CheckpointErrors.Format(file, $"tensor of size [{string.Join(", ", size)}] is larger than a single .NET array can hold.");
        }

        var data = new byte[numel * es];
        if (IsContiguous(size, stride))
        {
            Buffer.BlockCopy(Bytes, (int)(offset * es), data, 0, data.Length);
            return new TensorData(DType, size, data);
        }

        // General strided gather: copy runs along the innermost dimension, iterating the outer ones like an odometer.
        int rank = size.Length;
        long inner = size[rank - 1];
        long innerStride = stride[rank - 1];
        var index = new long[rank];
        long src = offset;
        int dst = 0;
        ReadOnlySpan<byte> source = Bytes;
        Span<byte> target = data;
        while (true)
        {
            if (innerStride == 1)
            {
                source.Slice((int)(src * es), (int)(inner * es)).CopyTo(target.Slice(dst, (int)(inner * es)));
                dst += (int)(inner * es);
            }
            else
            {
                for (long j = 0; j < inner; j++)
                {
                    source.Slice((int)((src + (j * innerStride)) * es), es).CopyTo(target.Slice(dst, es));
                    dst += es;
                }
            }

            int dim = rank - 2;
            while (dim >= 0)
            {
                index[dim]++;
                src += stride[dim];
                if (index[dim] < size[dim])
                {
                    break;
                }

                src -= index[dim] * stride[dim];
                index[dim] = 0;
                dim--;
            }

            if (dim < 0)
            {
                break;
            }
        }

        return new TensorData(DType, size, data);
    }

    private static bool IsContiguous(long[] size, long[] stride)
    {
        long expected = 1;
        for (int i = size.Length - 1; i >= 0; i--)
        {
            if (size[i] != 1 && stride[i] != expected)
            {
                return false;
            }

            expected *= size[i];
        }

        return true;
    }
}
