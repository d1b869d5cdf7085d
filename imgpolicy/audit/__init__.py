"""Audits: what actually happened, judged against what the environment declares.

`check` judges the files and `probe` that the nodes answer; an audit reads evidence the
hospital already has (an archive's records over REST or DICOMweb, DICOM files, DCMTK logs,
DICOM audit messages, dose SRs) and reports where reality and the declaration part. Audits
only read: no C-STORE, no change to any archive.

- `observed`: what the sources yield (exchanges between AEs, studies and their headers), the
  one vocabulary every source speaks and every audit reads.
- `sources`: where observations come from (folders, Orthanc REST, DICOMweb, logs).
- `traffic`, `headers`, `dose`: the three audits, each from observations to findings and
  measured figures (`result.AuditResult`).
- `phi`: how patient identity is shown (masked unless the user asks).
- `evidence`: what was measured, as a file `imgpolicy docs --evidence` reads.
"""
