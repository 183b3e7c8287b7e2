using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>
/// What the ML.NET tests share, made once: a small exported classifier (64 px, labels cat/dog/bird, with both
/// <c>features</c> and <c>logits</c> outputs) and random PNG and JPEG images from PIL, plus unreadable files.
/// </summary>
internal static class MLNetFixture
{
    private static readonly Lazy<(TempDir Dir, string Model, string[] Images)> Shared = new(Create);

    public static readonly string[] Labels = ["cat", "dog", "bird"];

    public static TempDir Dir => Shared.Value.Dir;

    /// <summary>The exported classifier.</summary>
    public static string ModelPath => Shared.Value.Model;

    /// <summary>Seven readable images of different sizes: even indices JPEG, odd PNG.</summary>
    public static string[] Images => Shared.Value.Images;

    /// <summary>The PNG images only (decoded to the same pixels by every PNG decoder, ML.NET's included).</summary>
    public static string[] PngImages => Images.Where(p => p.EndsWith(".png", StringComparison.Ordinal)).ToArray();

    public static string Empty => Dir.File("empty.jpg");

    public static string NotAnImage => Dir.File("notes.png");

    private static (TempDir, string, string[]) Create()
    {
        PythonRunner.RequirePython();
        var dir = new TempDir();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        PythonRunner.Run("""
            import sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(7)
            for i, (w, h) in enumerate([(120, 90), (64, 64), (90, 130), (300, 200), (77, 51), (150, 150), (40, 96)]):
                a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                Image.fromarray(a).save(f"{sys.argv[1]}/img{i}.{'png' if i % 2 else 'jpg'}")
            open(f"{sys.argv[1]}/empty.jpg", "wb").close()
            open(f"{sys.argv[1]}/notes.png", "w").write("not an image")
            """, dir.Path);
        var images = Enumerable.Range(0, 7).Select(i => dir.File($"img{i}.{(i % 2 == 1 ? "png" : "jpg")}")).ToArray();

        torch.manual_seed(11);
        using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = Labels.Length });
        // Larger layer scales than the zero-ish defaults, so the classes differ from image to image.
        using (torch.no_grad())
            foreach (var (n, t) in model.state_dict())
                if (n.EndsWith(".gamma", StringComparison.Ordinal)) t.normal_(0, 0.5);
        model.eval();
        var path = dir.File("classifier.onnx");
        TorchOnnxExporter.Export(model, path, new OnnxExportOptions
        {
            ImageSize = 64, Labels = Labels, Preprocessing = model.Config.Preprocessing with { InputSize = 64 },
        });
        return (dir, path, images);
    }
}
