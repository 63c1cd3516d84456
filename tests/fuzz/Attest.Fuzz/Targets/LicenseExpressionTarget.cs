using System.Text;
using Attest.Sbom;
using Attest.Sbom.Licensing;

namespace Attest.Fuzz.Targets;

/// <summary>An SPDX licence expression from an SBOM or a policy: <see cref="LicenseExpression.TryParse"/> with the
/// default limits (false with a sentence when refused), then what the SBOM check asks of a parsed one: its leaves,
/// its canonical text, and a licence policy's deny and allow decisions.</summary>
internal static class LicenseExpressionTarget
{
    private static readonly LicensePolicy Licenses = new(["GPL-3.0-only", "AGPL-3.0-or-later", "LicenseRef-proprietary"], ["MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only WITH Classpath-exception-2.0"]);

    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (!LicenseExpression.TryParse(text, out var expression, out _, SbomLimits.Default)) return;
        _ = expression.Leaves().Count();
        var canonical = expression.ToString();
        Licenses.IsDenied(expression);
        Licenses.IsNotAllowed(expression);
        _ = Licenses.DeniedLeaves(expression).Count();
        if (!LicenseExpression.TryParse(canonical, out var again, out var error, SbomLimits.Default) || again.ToString() != canonical)
            throw new InvalidOperationException($"licence expression '{canonical}' does not read back as itself ({error})");
    }
}
