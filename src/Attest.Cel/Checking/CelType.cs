namespace Attest.Cel;

/// <summary>A static CEL type, for declarations and type checking. <c>dyn</c> is checked at evaluation instead.</summary>
public sealed record CelType(string Name, CelType? Element = null, CelType? Key = null)
{
    public static readonly CelType Dyn = new("dyn");
    public static readonly CelType Null = new("null_type");
    public static readonly CelType Bool = new("bool");
    public static readonly CelType Int = new("int");
    public static readonly CelType Uint = new("uint");
    public static readonly CelType Double = new("double");
    public static readonly CelType String = new("string");
    public static readonly CelType Bytes = new("bytes");
    public static readonly CelType Timestamp = new("google.protobuf.Timestamp");
    public static readonly CelType Duration = new("google.protobuf.Duration");
    public static readonly CelType Type = new("type");

    public static CelType ListOf(CelType element) => new("list", element);

    public static CelType MapOf(CelType key, CelType value) => new("map", value, key);

    public bool IsDyn => Name == "dyn";

    public bool IsList => Name == "list";

    public bool IsMap => Name == "map";

    public bool IsNumeric => Name is "int" or "uint" or "double";

    /// <summary>Whether a value of <paramref name="argument"/> may be passed where this type is expected (dyn on either side matches).</summary>
    public bool Accepts(CelType argument)
    {
        if (IsDyn || argument.IsDyn) return true;
        if (Name != argument.Name) return false;
        if (IsList) return Element!.Accepts(argument.Element!);
        if (IsMap) return Key!.Accepts(argument.Key!) && Element!.Accepts(argument.Element!);
        return true;
    }

    /// <summary>The type of a value that is either of two types: the same type, or dyn.</summary>
    public static CelType Join(CelType a, CelType b)
    {
        if (a == b) return a;
        if (a.IsList && b.IsList) return ListOf(Join(a.Element!, b.Element!));
        if (a.IsMap && b.IsMap) return MapOf(Join(a.Key!, b.Key!), Join(a.Element!, b.Element!));
        return Dyn;
    }

    public override string ToString() => Name switch
    {
        "list" => $"list({Element})",
        "map" => $"map({Key}, {Element})",
        _ => Name,
    };
}
