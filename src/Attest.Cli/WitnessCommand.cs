using System.CommandLine;
using Attest.Core.Crypto;
using Attest.Core.Transparency;

namespace Attest.Cli;

/// <summary><c>attest witness keygen</c>: the key of a c2sp.org/tlog-witness witness. The witness itself runs in the
/// server (<c>Attest:Witness</c>), which keeps the last checkpoint it cosigned per log in its database.</summary>
internal static class WitnessCommand
{
    public static Command Build()
    {
        var witness = new Command("witness", "Keys for running an Attest server as a transparency-log witness (c2sp.org/tlog-witness).");
        witness.Subcommands.Add(Keygen());
        return witness;
    }

    private static Command Keygen()
    {
        var name = new Option<string>("--name") { Description = "witness name, a schema-less URL such as witness.example.com/w1", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "file to write the private key to (mode 0600; give it to the server as Attest:Witness:KeyPath)", Required = true };
        var command = new Command("keygen", "Create an Ed25519 witness key; prints its cosignature verifier key (type 0x04) for logs and auditors.") { name, output };
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            var file = parse.GetValue(output)!;
            if (file.Exists)
            {
                error.WriteLine($"attest: {file.FullName} exists; a witness key is never overwritten");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            Ed25519NoteSigner signer;
            try
            {
                signer = new Ed25519NoteSigner(parse.GetValue(name)!, Ed25519.GenerateSeed());
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"attest: {e.Message}");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var writer = new StreamWriter(new FileStream(file.FullName, options))) writer.WriteLine(signer.ToPrivateKeyString());
            parse.InvocationConfiguration.Output.WriteLine(NoteVerifierKey.ForEd25519Cosignature(signer.Name, signer.VerifierKey.PublicKey).ToString());
            return AttestCommand.ExitCodes.Success;
        });
        return command;
    }
}
