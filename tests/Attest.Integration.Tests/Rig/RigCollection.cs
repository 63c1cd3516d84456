using Attest.Testing;

namespace Attest.Integration.Tests.Rig;

/// <summary>One registry and one PostgreSQL server shared by every test in this collection for the whole run.</summary>
[CollectionDefinition(Name)]
public sealed class RigCollection : ICollectionFixture<RegistryFixture>, ICollectionFixture<PostgresFixture>
{
    public const string Name = "rig";
}
