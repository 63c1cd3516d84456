module example.com/attest/a

go 1.17