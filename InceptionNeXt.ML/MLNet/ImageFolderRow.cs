namespace InceptionNeXt.ML.MLNet;

/// <summary>One image of a folder with one subfolder per label, as <c>mlContext.Data.LoadFromImageFolder</c> gives it.</summary>
public sealed class ImageFolderRow
{
    /// <summary>The image file's full path.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>The name of the subfolder the image is in.</summary>
    public string Label { get; set; } = "";
}
