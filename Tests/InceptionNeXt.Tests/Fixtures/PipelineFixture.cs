using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.TorchModels;

namespace InceptionNeXt.Tests.Fixtures;

/// <summary>
/// A small image folder (red, green and blue dominated pictures with noise, JPEG and PNG, one subfolder per colour)
/// and an untrained 32 px InceptionNeXt backbone exported to ONNX: colour survives random convolutions, so a head on
/// its features can learn the classes.
/// </summary>
internal static class PipelineFixture
{
    public static (string Folder, string Backbone) Create(TempDir dir, int perClass = 12, string name = "images")
    {
        var folder = Path.Combine(dir.Path, name);
        PythonRunner.RequirePython();
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(3)
            root, n = sys.argv[1], int(sys.argv[2])
            for c, cls in enumerate(["blue", "green", "red"]):
                os.makedirs(f"{root}/{cls}")
                for i in range(n):
                    h, w = rng.integers(28, 60, 2)
                    a = rng.integers(0, 110, (h, w, 3))
                    a[..., 2 - c] += 120 + rng.integers(0, 30)
                    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
                    img.save(f"{root}/{cls}/{i:02d}." + ("png" if i % 3 == 0 else "jpg"), quality=92)
            """, folder, perClass.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var backbone = Path.Combine(dir.Path, "backbone.onnx");
        if (!File.Exists(backbone))
        {
            TorchSharp.torch.manual_seed(5);
            using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 4 });
            model.eval();
            TorchOnnxExporter.Export(model, backbone, new OnnxExportOptions
            {
                ImageSize = 32, Preprocessing = model.Config.Preprocessing with { InputSize = 32, CropPct = 1.0 },
            });
        }
        return (folder, backbone);
    }
}
