using Attest.Testing;

namespace Attest.Oci.Tests;

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "registry";
}

[CollectionDefinition(Name)]
public sealed class BasicAuthRegistryCollection : ICollectionFixture<BasicAuthRegistryFixture>
{
    public const string Name = "registry-basic-auth";
}

[CollectionDefinition(Name)]
public sealed class TokenAuthRegistryCollection : ICollectionFixture<TokenAuthRegistryFixture>
{
    public const string Name = "registry-token-auth";
}
