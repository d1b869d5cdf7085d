-- Auto-routing of the imaging router.
local ARCHIVE = 'pacs'

function OnStoredInstance(instanceId, tags, metadata, origin)
   -- Do not route what a Lua script created (avoids loops)
   if origin['RequestOrigin'] == 'Lua' then
      return
   end

   -- Everything goes to the archive
   SendToModality(instanceId, ARCHIVE)

   local modality = tags['Modality']
   if modality == 'CT' or modality == 'MR' then
      SendToModality(instanceId, 'ai')
   elseif modality == "MG" then
      SendToModality(instanceId, 'mammo-ws')
   else
      SendToModality(instanceId, 'ct-ws')
   end

   if string.find(tags['StudyDescription'] or '', 'RESEARCH') then
      SendToModality(instanceId, 'telerad')
   end

   if tags.Modality == 'US' then
      SendToPeer(instanceId, 'remote')
   end

   for _, target in ipairs({ 'ct-ws', 'pacs' }) do
      SendToModality(instanceId, target)
   end
end

--[[ A stable study is also sent to the
     disaster-recovery Orthanc ]]
function OnStableStudy(studyId, tags, metadata)
   Delete(SendToModality(studyId, 'backup'))
end
