using InceptionNeXt.ML.MLNet;
using Microsoft.ML;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>GpuDeviceId and FallbackToCpu mean what they mean in ML.NET, from the options or the MLContext; the test project has the CPU package only.</summary>
[TestClass]
public sealed class DeviceOptionsTests
{
    [TestMethod]
    public void TheMLContextsGpuSettingsApplyWhenTheOptionsLeaveThemOpen()
    {
        var gpu = new MLContext(seed: 1) { GpuDeviceId = 0 };
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => gpu.Transforms.FeaturizeImagesWithInceptionNeXt("F", "ImagePath", MLNetFixture.ModelPath));
        StringAssert.Contains(e.Message, "FallbackToCpu");
        Assert.ThrowsExactly<InvalidOperationException>(() =>
            new MLContext(seed: 1).Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath, new() { GpuDeviceId = 0 }));

        var fallback = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
        using var viaContext = fallback.Transforms.FeaturizeImagesWithInceptionNeXt("F", "ImagePath", MLNetFixture.ModelPath)
            .Fit(fallback.Data.LoadFromEnumerable(new[] { new ImagePathRow() }));
        Assert.AreEqual("CPU", viaContext.Model.ExecutionProvider);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new MLContext(seed: 1).Transforms.FeaturizeImagesWithInceptionNeXt("F", "ImagePath", MLNetFixture.ModelPath, new() { GpuDeviceId = -1 }));
    }

    [TestMethod]
    public void ALoadedModelRunsWhereTheLoadingMLContextSays()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ImagePathRow { ImagePath = MLNetFixture.Images[0] } });
        var model = ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath, new() { GpuDeviceId = 0, FallbackToCpu = true }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);

        // Saved with GpuDeviceId 0 and FallbackToCpu: neither is stored, so a CPU context loads it on the CPU...
        stream.Position = 0;
        using var cpu = (InceptionNeXtScoringTransformer)new MLContext(seed: 1).Model.Load(stream, out _);
        Assert.AreEqual("CPU", cpu.Model.ExecutionProvider);
        // ...and a GPU context without fallback fails as ML.NET's would on a machine without CUDA.
        stream.Position = 0;
        var e = Assert.Throws<Exception>(() => new MLContext(seed: 1) { GpuDeviceId = 0 }.Model.Load(stream, out _));
        StringAssert.Contains(e.ToString(), "FallbackToCpu");
    }
}
