using Attest.Sbom.Licensing;

namespace Attest.Sbom.Tests.Licensing;

public sealed class LicensePolicyTests
{
    [Theory]
    [InlineData("OR is allowed when one choice is acceptable", "MIT OR GPL-3.0-only", false)]
    [InlineData("OR is denied when every choice is denied", "GPL-3.0-only OR AGPL-3.0-only", true)]
    [InlineData("AND is denied when any part is denied", "MIT AND GPL-3.0-only", true)]
    [InlineData("denied id matched case-insensitively", "gpl-3.0-ONLY", true)]
    [InlineData("plain licence", "MIT", false)]
    [InlineData("nested: (MIT AND GPL) OR Apache is allowed via Apache", "(MIT AND GPL-3.0-only) OR Apache-2.0", false)]
    [InlineData("nested: (MIT OR GPL) AND AGPL is denied via AGPL", "(MIT OR GPL-3.0-only) AND AGPL-3.0-only", true)]
    [InlineData("a plain denied id also covers it WITH an exception", "GPL-3.0-only WITH GCC-exception-3.1", true)]
    public void Deny_list_evaluates_choices(string description, string expression, bool denied)
    {
        var policy = new LicensePolicy(["GPL-3.0-only", "AGPL-3.0-only"]);
        Assert.True(denied == policy.IsDenied(LicenseExpression.Parse(expression)), description);
    }

    [Fact]
    public void Entry_with_an_exception_denies_only_that_combination()
    {
        var policy = new LicensePolicy(["GPL-2.0-only WITH Classpath-exception-2.0"]);
        Assert.True(policy.IsDenied(LicenseExpression.Parse("GPL-2.0-only WITH Classpath-exception-2.0")));
        Assert.False(policy.IsDenied(LicenseExpression.Parse("GPL-2.0-only")));
    }

    [Fact]
    public void Or_later_is_denied_by_the_base_id_but_the_base_id_is_not_denied_by_or_later()
    {
        Assert.True(new LicensePolicy(["GPL-2.0"]).IsDenied(LicenseExpression.Parse("GPL-2.0+")));
        Assert.False(new LicensePolicy(["GPL-2.0+"]).IsDenied(LicenseExpression.Parse("GPL-2.0")));
    }

    [Theory]
    [InlineData("allowed id", "MIT", false)]
    [InlineData("OR with one allowed choice", "GPL-3.0-only OR Apache-2.0", false)]
    [InlineData("AND with one unlisted part", "MIT AND GPL-3.0-only", true)]
    [InlineData("unlisted", "BSD-3-Clause", true)]
    [InlineData("LicenseRef not on the list", "LicenseRef-proprietary", true)]
    public void Allow_list_evaluates_choices(string description, string expression, bool notAllowed)
    {
        var policy = new LicensePolicy([], ["MIT", "Apache-2.0"]);
        Assert.True(notAllowed == policy.IsNotAllowed(LicenseExpression.Parse(expression)), description);
    }

    [Fact]
    public void Without_an_allow_list_nothing_is_reported_as_not_allowed()
    {
        Assert.False(new LicensePolicy(["MIT"]).IsNotAllowed(LicenseExpression.Parse("BSD-3-Clause")));
    }

    [Fact]
    public void Licence_names_that_are_not_expressions_match_by_name()
    {
        var policy = new LicensePolicy(["Apache Software License"]);
        Assert.True(policy.IsDenied(new LicenseName("apache software license")));
        Assert.False(policy.IsDenied(new LicenseName("MIT License")));
    }
}
