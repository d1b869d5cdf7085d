"""Teleradiology forwarding (Orthanc Python plugin)."""

import json

import orthanc

TELERAD = "telerad"


def OnStoredInstance(dicom, instanceId):
    if dicom.GetInstanceRemoteAet() == "US_CLINIC":
        orthanc.RestApiPost("/modalities/%s/store" % TELERAD, instanceId)
    tags = json.loads(dicom.GetInstanceSimplifiedJson())
    if tags["Modality"] not in ("CR", "DX"):
        return
    orthanc.RestApiPost(f"/modalities/{TELERAD}/store", instanceId)


def OnChange(changeType, level, resourceId):
    if changeType == orthanc.ChangeType.STABLE_STUDY:
        orthanc.RestApiPost("/dicom-web/servers/vna/stow", json.dumps({"Resources": [resourceId]}))


orthanc.RegisterOnStoredInstanceCallback(OnStoredInstance)
orthanc.RegisterOnChangeCallback(OnChange)
